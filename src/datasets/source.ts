import { extname } from 'node:path';
import { checkFinite } from '../formats/finite.js';
import { VectorReader } from '../formats/vectors.js';
import { readTruthFile, type Truth } from '../formats/truth.js';
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
      read: async (start, n, out) => {
        m.read(start, n, out);
        checkFinite(describeSource(src), out.subarray(0, n * m.dim), m.dim, start);
      },
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
export type { Truth };

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
  return readTruthFile(src.path);
}
