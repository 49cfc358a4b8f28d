import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { DataError, describeSystemError } from '../errors.js';
import { claimTemp, releaseTemp, sweepStaleTemps } from './scratch.js';

export { sweepStaleTemps } from './scratch.js';

/**
 * Where an output goes. A path that does not exist yet or names a regular file is written under a
 * temporary name and renamed into place. `-` (stdout), a character device such as /dev/null and a
 * FIFO are streams: written in place, never renamed over, since replacing them would break every
 * other program that uses them.
 */
export type OutputTarget = { kind: 'file' } | { kind: 'stream'; what: 'stdout' | 'character device' | 'FIFO' };

/** What `stats` is, said for a message: "a block device", "a socket", "a directory". */
export function describeFileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'a regular file';
}

/**
 * The kind of output `path` is, or a reason it cannot be one (a block device, a socket, a
 * directory). Follows links: a link to /dev/null is written as /dev/null.
 */
export function outputTarget(path: string): OutputTarget | { refused: string } {
  if (path === '-') return { kind: 'stream', what: 'stdout' };
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return { kind: 'file' }; // not there yet (a missing folder is found by the caller)
  }
  if (stats.isFile()) return { kind: 'file' };
  if (stats.isCharacterDevice()) return { kind: 'stream', what: 'character device' };
  if (stats.isFIFO()) return { kind: 'stream', what: 'FIFO' };
  return { refused: `is ${describeFileType(stats)}; vectro writes regular files, character devices (/dev/null) and FIFOs` };
}

/** Whether `path` names a stream target (stdout, a character device, a FIFO), written in place. */
export function isStreamOutput(path: string): boolean {
  const t = outputTarget(path);
  return 'kind' in t && t.kind === 'stream';
}

/**
 * An output written under a temporary name and moved into place by `commit()`, so a failed or
 * interrupted run never leaves a half-written file behind. A stream target (stdout, a device, a
 * FIFO) is staged in a temporary file in the system's temp folder and copied to the stream at
 * `commit()`, so writers may still write at any position and read back what they wrote.
 */
export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly tempPath: string,
    readonly handle: FileHandle,
    private readonly stream: boolean,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const target = outputTarget(path);
    if ('refused' in target) throw new DataError(`${path}: ${target.refused}`);
    const stream = target.kind === 'stream';
    const folder = stream ? tmpdir() : dirname(path);
    sweepStaleTemps(folder);
    let tempPath: string | undefined;
    try {
      tempPath = claimTemp(folder, stream ? 'vectro-stream' : basename(path), 'file');
      const handle = await open(tempPath, 'wx+');
      return new AtomicFile(path, tempPath, handle, stream);
    } catch (err) {
      if (tempPath) releaseTemp(tempPath);
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
    releaseTemp(this.tempPath);
  }

  /** Moves a file target into place, or copies the staged bytes to a stream target. */
  async place(): Promise<void> {
    if (!this.stream) {
      await rename(this.tempPath, this.path);
      releaseTemp(this.tempPath);
      return;
    }
    await copyToStream(this.tempPath, this.path);
    await this.abort(); // the staged copy is done with
  }
}

/** Copies a staged file to stdout (`-`) or into a device or FIFO, in place. */
async function copyToStream(from: string, to: string): Promise<void> {
  const source = await open(from, 'r');
  const sink = to === '-' ? undefined : await open(to, 'w');
  try {
    const block = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await source.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      const part = block.subarray(0, bytesRead);
      if (sink) {
        let done = 0;
        while (done < part.length) done += (await sink.write(part, done, part.length - done, null)).bytesWritten;
      } else if (!process.stdout.write(Buffer.from(part))) {
        await new Promise((r) => process.stdout.once('drain', r));
      }
    }
  } finally {
    await source.close();
    await sink?.close();
  }
}

/**
 * Moves every file into place, or none: all are flushed and closed first (where a full disk shows
 * up), then placed. On any failure the files not yet placed are removed.
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
      await f.place();
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
