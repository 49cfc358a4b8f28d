import { AtomicFile, writeFileAtomic } from './atomic.js';
import { bigAnnHeader } from './bigann.js';
import type { OutputFormat } from './detect.js';
import { npyHeader } from './npy.js';

/** Bytes of a float32 vector file of `count` x `dim` in `format`. */
export function outputBytes(format: OutputFormat, count: number, dim: number): number {
  const header = format === 'fbin' ? 8 : format === 'npy' ? npyHeader('float32', count, dim).length : 0;
  return header + count * dim * 4 + (format === 'fvecs' ? count * 4 : 0);
}

/** Writes float32 vectors to `.fvecs`, `.fbin` or `.npy`, atomically (see AtomicFile). */
export class VectorWriter {
  private position: number;
  private written = 0;

  private constructor(
    private readonly file: AtomicFile,
    private readonly format: OutputFormat,
    private readonly dim: number,
    private readonly count: number,
    headerBytes: number,
  ) {
    this.position = headerBytes;
  }

  static async create(path: string, format: OutputFormat, dim: number, count: number): Promise<VectorWriter> {
    const file = await AtomicFile.create(path);
    const header = format === 'fbin' ? bigAnnHeader(count, dim) : format === 'npy' ? npyHeader('float32', count, dim) : new Uint8Array(0);
    try {
      await file.write(header, 0);
    } catch (err) {
      await file.abort();
      throw err;
    }
    return new VectorWriter(file, format, dim, count, header.length);
  }

  /** Appends whole rows. */
  async write(rows: Float32Array): Promise<void> {
    const n = rows.length / this.dim;
    const bytes = this.format === 'fvecs' ? texmexRecords(rows, this.dim) : new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
    await this.file.write(bytes, this.position);
    this.position += bytes.length;
    this.written += n;
  }

  async commit(): Promise<void> {
    if (this.written !== this.count) {
      await this.abort();
      throw new Error(`internal: wrote ${this.written} of ${this.count} vectors`);
    }
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}

/**
 * Rows of `dim` 32-bit values as TEXMEX records (an int32 dimension, then the values): `.fvecs`
 * for float32 rows, `.ivecs` for integer ones.
 */
export function texmexRecords(rows: Float32Array | Uint32Array | Int32Array, dim: number): Uint8Array {
  const n = rows.length / dim;
  const words = new Int32Array(n * (dim + 1));
  const values = rows instanceof Float32Array ? new Float32Array(words.buffer) : words;
  for (let r = 0; r < n; r++) {
    words[r * (dim + 1)] = dim;
    values.set(rows.subarray(r * dim, (r + 1) * dim), r * (dim + 1) + 1);
  }
  return new Uint8Array(words.buffer);
}

/** Writes neighbour ids as `.ivecs` (one record of k int32 per query), atomically. */
export async function writeIvecs(path: string, ids: Uint32Array, k: number): Promise<void> {
  await writeFileAtomic(path, texmexRecords(ids, k));
}
