import { statfs } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { formatBytes } from '../units.js';

/**
 * Refuses to start work that needs more disk than the file system of `dir` has free. A temporary
 * file sits beside the file it replaces until the end, so an old file's size does not count as free.
 */
export async function ensureSpace(dir: string, bytes: number, what: string): Promise<void> {
  const fs = await statfs(dir).catch(() => undefined);
  if (!fs) return; // unknown: the write itself reports a full disk
  const free = fs.bavail * fs.bsize;
  if (bytes > free) throw new DataError(`${what}: needs about ${formatBytes(bytes)} but ${dir} has only ${formatBytes(free)} free`);
}
