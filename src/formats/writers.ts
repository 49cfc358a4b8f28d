import { AtomicFile, writeFileAtomic } from './atomic.js';
import { bigAnnHeader } from './bigann.js';
import type { OutputFormat } from './detect.js';
import { npyHeader } from './npy.js';

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
    const header =
      format === 'fbin' ? bigAnnHeader(count, dim) : format === 'npy' ? npyHeader('float32', count, dim) : new Uint8Array(0);
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
    let bytes: Uint8Array;
    if (this.format === 'fvecs') {
      const record = 1 + this.dim;
      const out = new Float32Array(n * record);
      const dims = new Int32Array(out.buffer);
      for (let r = 0; r < n; r++) {
        dims[r * record] = this.dim;
        out.set(rows.subarray(r * this.dim, (r + 1) * this.dim), r * record + 1);
      }
      bytes = new Uint8Array(out.buffer);
    } else {
      bytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
    }
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

/** Writes neighbour ids as `.ivecs` (one record of k int32 per query), atomically. */
export async function writeIvecs(path: string, ids: Uint32Array, k: number): Promise<void> {
  const rows = ids.length / k;
  const words = new Int32Array(rows * (k + 1));
  for (let r = 0; r < rows; r++) {
    words[r * (k + 1)] = k;
    words.set(ids.subarray(r * k, (r + 1) * k), r * (k + 1) + 1);
  }
  await writeFileAtomic(path, new Uint8Array(words.buffer));
}
