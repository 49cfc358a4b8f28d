import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
    try {
      await this.handle.close();
      await rename(this.tempPath, this.path);
      live.delete(this.tempPath);
    } catch (err) {
      await this.abort();
      throw new DataError(`${this.path}: cannot write: ${describeSystemError(err)}`);
    }
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
    live.delete(this.tempPath);
  }
}

/** Replaces `path` with `data` in one step: readers see the old file or the new one, never half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const file = await AtomicFile.create(path);
  try {
    await file.write(typeof data === 'string' ? Buffer.from(data) : data, 0);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
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
