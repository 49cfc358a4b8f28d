import { describeFileType } from './atomic.js';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { DataError, UsageError, describeSystemError } from '../errors.js';

export interface InputFile {
  path: string;
  handle: FileHandle;
  size: number;
}

/** Opens a file to read, with the usual mistakes (missing, a folder, empty) told plainly. */
export async function openInput(path: string): Promise<InputFile> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new UsageError(`${path}: is a directory, expected a file`);
    // A FIFO or device has no size to check a format against: vectro reads regular files only.
    if (!info.isFile()) throw new UsageError(`${path}: is ${describeFileType(info)}, not a regular file; vectro reads its inputs from regular files`);
    size = info.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    throw new DataError(`${path}: cannot read: ${describeSystemError(err)}`);
  }
  if (size === 0) throw new DataError(`${path}: file is empty`);
  try {
    return { path, handle: await open(path, 'r'), size };
  } catch (err) {
    throw new DataError(`${path}: cannot read: ${describeSystemError(err)}`);
  }
}
