import { open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataError, describeSystemError } from '../errors.js';

/** Temp files not yet committed or aborted; removed if the process exits anyway. */
const live = new Set<string>();
process.on('exit', () => {
  for (const path of live) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
});

/** A temporary file of AtomicFile (`.NAME.vectro-tmp-PID-HEX`) or a dataset folder being made (`NAME.tmp-PID`). */
const STALE_TEMP = /^(?:\..+\.vectro-tmp-(\d+)-[0-9a-f]{8}|.+\.tmp-(\d+))$/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

const swept = new Set<string>();

/**
 * Removes the temporary files and folders that a killed run (SIGKILL, power loss) left in `dir`:
 * those whose process is gone. Each folder is swept once per process; errors are ignored (another
 * run may be sweeping too).
 */
export async function sweepStaleTemps(dir: string): Promise<void> {
  const key = resolve(dir);
  if (swept.has(key)) return;
  swept.add(key);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const match = STALE_TEMP.exec(name);
    const pid = match ? Number(match[1] ?? match[2]) : 0;
    if (pid > 0 && !processAlive(pid)) await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * An output file written under a temporary name in the same folder and renamed into place by
 * `commit()`, so a failed or interrupted run never leaves a half-written file behind.
 */
export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly tempPath: string,
    readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    await sweepStaleTemps(dirname(path));
    const tempPath = join(dirname(path), `.${basename(path)}.vectro-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const handle = await open(tempPath, 'wx+');
      live.add(tempPath);
      return new AtomicFile(path, tempPath, handle);
    } catch (err) {
      throw new DataError(`${path}: cannot write: ${describeSystemError(err)}`);
    }
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw new DataError(`${this.path}: cannot write: ${describeSystemError(err)}`);
    }
  }

  async commit(): Promise<void> {
    await commitAll([this]);
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
    live.delete(this.tempPath);
  }
}

/**
 * Moves every file into place, or none: all are flushed and closed first (where a full disk shows
 * up), then renamed. On any failure the files not yet renamed are removed.
 */
export async function commitAll(files: AtomicFile[]): Promise<void> {
  let current = files[0];
  try {
    for (const f of files) {
      current = f;
      await f.handle.close();
    }
    for (const f of files) {
      current = f;
      await rename(f.tempPath, f.path);
      live.delete(f.tempPath);
    }
  } catch (err) {
    await Promise.all(files.map((f) => f.abort()));
    throw new DataError(`${current.path}: cannot write: ${describeSystemError(err)}`);
  }
}

/** Replaces `path` with `data` in one step: readers see the old file or the new one, never half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic([{ path, data }]);
}

/** Writes several files so that they all appear together, or none does (see commitAll). */
export async function writeFilesAtomic(entries: { path: string; data: string | Uint8Array }[]): Promise<void> {
  const files: AtomicFile[] = [];
  try {
    for (const { path, data } of entries) {
      const file = await AtomicFile.create(path);
      files.push(file);
      await file.write(typeof data === 'string' ? Buffer.from(data) : data, 0);
    }
  } catch (err) {
    await Promise.all(files.map((f) => f.abort()));
    throw err;
  }
  await commitAll(files);
}

/** Reads exactly `length` bytes at `position` into `into`; false if the file ends first. */
export async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<boolean> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}
