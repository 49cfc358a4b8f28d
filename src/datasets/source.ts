import { extname } from 'node:path';
import { DataError } from '../errors.js';
import { openInput } from '../formats/input.js';
import { VectorReader } from '../formats/vectors.js';
import { readFully } from '../formats/atomic.js';
import { readNeighbours } from '../index/recall.js';
import { stopIfAborted } from '../signals.js';
import { Hdf5Matrix } from './hdf5.js';

/** Vectors or neighbour ids in a file: any vector format vectro reads, or one dataset of an HDF5 file. */
export interface VectorSource {
  path: string;
  /** HDF5 only: the dataset's name (`train`, `test`, `neighbors`). */
  hdf5?: string;
}

export const describeSource = (s: VectorSource) => (s.hdf5 ? `${s.path}:${s.hdf5}` : s.path);

export const isHdf5Path = (path: string) => ['.hdf5', '.h5'].includes(extname(path).toLowerCase());

/** Rows of float32 vectors, read block by block (nothing becomes a JS array of numbers). */
export interface RowReader {
  readonly count: number;
  readonly dim: number;
  read(start: number, n: number, out: Float32Array): Promise<void>;
  close(): Promise<void>;
}

export async function openRows(src: VectorSource): Promise<RowReader> {
  if (src.hdf5) {
    const m = await Hdf5Matrix.open(src.path, src.hdf5);
    return {
      count: m.count,
      dim: m.dim,
      read: async (start, n, out) => m.read(start, n, out),
      close: async () => m.close(),
    };
  }
  const r = await VectorReader.open(src.path);
  return { count: r.info.count, dim: r.info.dim, read: (start, n, out) => r.read(start, n, out), close: () => r.close() };
}

/** Rows read per block while loading, so progress moves and Ctrl-C is seen. */
const BLOCK = 65_536;

/**
 * The first `limit` rows (all by default) of a source as one Float32Array, with progress after each
 * block. 1M x 128 floats is one 512 MB typed array.
 */
export async function loadRows(
  src: VectorSource,
  options: { limit?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<{ x: Float32Array; count: number; dim: number }> {
  const r = await openRows(src);
  try {
    const count = Math.min(r.count, options.limit ?? r.count);
    const x = new Float32Array(count * r.dim);
    for (let start = 0; start < count; start += BLOCK) {
      stopIfAborted(options.signal);
      const n = Math.min(BLOCK, count - start);
      await r.read(start, n, x.subarray(start * r.dim, (start + n) * r.dim));
      options.onProgress?.(start + n, count);
    }
    return { x, count, dim: r.dim };
  } finally {
    await r.close();
  }
}

/** True nearest-neighbour ids: `count` rows of `width` ids, nearest first. */
export interface Truth {
  ids: Int32Array;
  count: number;
  width: number;
}

/**
 * Reads ground-truth ids from `.ivecs`, big-ann `.ibin` (ids alone, or the result layout: ids then
 * float32 distances) or an HDF5 dataset (`neighbors`).
 */
export async function readTruth(src: VectorSource): Promise<Truth> {
  if (src.hdf5) {
    const m = await Hdf5Matrix.open(src.path, src.hdf5);
    try {
      const ids = new Int32Array(m.count * m.dim);
      m.read(0, m.count, ids);
      return { ids, count: m.count, width: m.dim };
    } finally {
      m.close();
    }
  }
  const ext = extname(src.path).toLowerCase();
  if (ext === '.ibin') return readIbinTruth(src.path);
  if (ext !== '.ivecs') throw new DataError(`${src.path}: ground truth must be .ivecs, .ibin or an HDF5 'neighbors' dataset`);
  const { ids, width } = await readNeighbours(src.path);
  const flat = new Int32Array(ids.length * width);
  ids.forEach((row, q) => flat.set(row, q * width));
  return { ids: flat, count: ids.length, width };
}

async function readIbinTruth(path: string): Promise<Truth> {
  const input = await openInput(path);
  try {
    const head = new Uint8Array(8);
    if (input.size < 8 || !(await readFully(input.handle, head, 0))) throw new DataError(`${path}: truncated: no 8-byte header`);
    const view = new DataView(head.buffer);
    const [count, width] = [view.getUint32(0, true), view.getUint32(4, true)];
    const idBytes = count * width * 4;
    // big-ann ground truth files append the float32 distances after the ids.
    if (width < 1 || (input.size !== 8 + idBytes && input.size !== 8 + 2 * idBytes)) {
      throw new DataError(`${path}: the header says ${count} x ${width} ids, which does not match the file's ${input.size} bytes`);
    }
    const ids = new Int32Array(count * width);
    await readFully(input.handle, new Uint8Array(ids.buffer), 8);
    return { ids, count, width };
  } finally {
    await input.handle.close();
  }
}
