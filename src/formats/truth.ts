import { extname } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { readFully } from './atomic.js';
import { openInput } from './input.js';

/** True neighbour ids: `count` records of `width` ids, row-major. */
export interface Truth {
  ids: Int32Array;
  count: number;
  width: number;
}

/** Ground-truth file formats: TEXMEX `.ivecs`, or big-ann `.ibin` (ids, optionally followed by distances). */
export const TRUTH_FORMATS = ['.ivecs', '.ibin'];

/** Reads a ground-truth file whole, checking its structure (every record the same width). */
export async function readTruthFile(path: string): Promise<Truth> {
  const ext = extname(path).toLowerCase();
  if (!TRUTH_FORMATS.includes(ext)) {
    throw new UsageError(`${path}: ground truth holds neighbour ids, as .ivecs or .ibin (not '${ext || 'no extension'}')`);
  }
  const input = await openInput(path);
  try {
    const bytes = new Uint8Array(input.size);
    if (!(await readFully(input.handle, bytes, 0))) throw new DataError(`${path}: file shrank while reading`);
    return ext === '.ibin' ? parseIbin(path, bytes) : parseIvecs(path, bytes);
  } finally {
    await input.handle.close();
  }
}

function parseIvecs(path: string, bytes: Uint8Array): Truth {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (bytes.length < 4) throw new DataError(`${path}: truncated: ${bytes.length} bytes, a record starts with a 4-byte count`);
  const width = view.getInt32(0, true);
  if (width < 1 || 4 + 4 * width > bytes.length) throw new DataError(`${path}: record 0 (${width} ids) does not fit in the file`);
  const record = 4 + 4 * width;
  if (bytes.length % record !== 0) {
    throw new DataError(`${path}: ${bytes.length} bytes is not a whole number of ${width}-id records (${record} bytes each)`);
  }
  const count = bytes.length / record;
  const ids = new Int32Array(count * width);
  for (let r = 0; r < count; r++) {
    const d = view.getInt32(r * record, true);
    if (d !== width) throw new DataError(`${path}: record ${r} has ${d} ids, but record 0 has ${width}`);
    for (let j = 0; j < width; j++) ids[r * width + j] = view.getInt32(r * record + 4 + 4 * j, true);
  }
  return { ids, count, width };
}

function parseIbin(path: string, bytes: Uint8Array): Truth {
  if (bytes.length < 8) throw new DataError(`${path}: truncated: no 8-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const [count, width] = [view.getUint32(0, true), view.getUint32(4, true)];
  const idBytes = count * width * 4;
  // big-ann ground-truth files append the float32 distances after the ids.
  if (width < 1 || (bytes.length !== 8 + idBytes && bytes.length !== 8 + 2 * idBytes)) {
    throw new DataError(`${path}: the header says ${count} x ${width} ids, which does not match the file's ${bytes.length} bytes`);
  }
  const ids = new Int32Array(count * width);
  for (let i = 0; i < ids.length; i++) ids[i] = view.getInt32(8 + 4 * i, true);
  return { ids, count, width };
}

/**
 * Checks ground truth against what it will judge: at least `k` ids per record, a record for every
 * query (exactly one per query when `sameCount`), and every id a vector of the base. A float file
 * passed by mistake fails here too: its bit patterns are ids far beyond the base.
 */
export function checkTruth(t: Truth, source: string, need: { queries: number; base: number; k: number; sameCount?: boolean }): void {
  if (t.width < need.k) throw new DataError(`${source}: holds ${t.width} neighbours per query, fewer than k = ${need.k}`);
  if (t.count < need.queries || (need.sameCount && t.count !== need.queries)) {
    throw new DataError(`${source}: has ${t.count} records for ${need.queries} queries`);
  }
  for (let i = 0; i < need.queries * t.width; i++) {
    const id = t.ids[i];
    if (id < 0 || id >= need.base) {
      throw new DataError(`${source}: record ${Math.floor(i / t.width)} names vector ${id}, but the base holds ids 0 to ${need.base - 1}`);
    }
  }
}
