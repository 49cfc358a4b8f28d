import { DataError } from '../errors.js';
import { checkFinite } from './finite.js';
import { readFully } from './atomic.js';
import { DTYPE_BYTES, vectorFormatOf, type Dtype, type VectorFormat } from './detect.js';
import { openInput, type InputFile } from './input.js';
import { layoutBigAnn } from './bigann.js';
import { layoutNpy } from './npy.js';
import { layoutTexmex } from './texmex.js';
import type { RowLayout } from './layout.js';

export interface VectorFileInfo {
  path: string;
  format: VectorFormat;
  /** Element type on disk; every reader hands out float32. */
  dtype: Dtype;
  count: number;
  dim: number;
  /** File size in bytes. */
  bytes: number;
}

function typedView(dtype: Dtype, bytes: Uint8Array, offset: number, length: number) {
  const buf = bytes.buffer;
  const at = bytes.byteOffset + offset;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, at, length);
    case 'int32':
      return new Int32Array(buf, at, length);
    case 'uint8':
      return new Uint8Array(buf, at, length);
    case 'int8':
      return new Int8Array(buf, at, length);
  }
}

/** Reads rows of any vector file as float32 (integers converted), checking TEXMEX row headers. */
export class VectorReader {
  private scratch = new Uint8Array(0);

  private constructor(
    private readonly input: InputFile,
    private readonly layout: RowLayout,
    readonly info: VectorFileInfo,
  ) {}

  static async open(path: string, format?: VectorFormat): Promise<VectorReader> {
    const input = await openInput(path);
    try {
      const fmt = vectorFormatOf(path, format);
      const layout = fmt === 'npy' ? await layoutNpy(input) : fmt.endsWith('vecs') ? await layoutTexmex(input, fmt) : await layoutBigAnn(input, fmt);
      const info = { path, format: fmt, dtype: layout.dtype, count: layout.count, dim: layout.dim, bytes: input.size };
      return new VectorReader(input, layout, info);
    } catch (err) {
      await input.handle.close();
      throw err;
    }
  }

  /** The shape of a vector file from its header, without reading the data. */
  static async probe(path: string, format?: VectorFormat): Promise<VectorFileInfo> {
    const reader = await VectorReader.open(path, format);
    await reader.close();
    return reader.info;
  }

  get rowBytes(): number {
    return this.layout.rowPrefix + this.layout.dim * DTYPE_BYTES[this.layout.dtype];
  }

  /**
   * Reads rows [start, start + count) into `out` (at least count * dim floats). Float rows holding
   * NaN or infinity are refused, naming the file, the vector and the dimension: no command takes them.
   */
  async read(start: number, count: number, out: Float32Array): Promise<void> {
    await this.readRaw(start, count, out);
    if (this.layout.dtype === 'float32') checkFinite(this.info.path, out.subarray(0, count * this.layout.dim), this.layout.dim, start);
  }

  private async readRaw(start: number, count: number, out: Float32Array): Promise<void> {
    const { dim, dtype, rowPrefix, dataOffset } = this.layout;
    const bytes = count * this.rowBytes;
    const position = dataOffset + start * this.rowBytes;
    const { path } = this.info;
    if (dtype === 'float32' && rowPrefix === 0) {
      const target = new Uint8Array(out.buffer, out.byteOffset, bytes);
      if (!(await readFully(this.input.handle, target, position))) throw new DataError(`${path}: file shrank while reading`);
      return;
    }
    if (this.scratch.length < bytes) this.scratch = new Uint8Array(bytes);
    const raw = this.scratch.subarray(0, bytes);
    if (!(await readFully(this.input.handle, raw, position))) throw new DataError(`${path}: file shrank while reading`);
    if (rowPrefix === 0) {
      out.set(typedView(dtype, raw, 0, count * dim));
      return;
    }
    const header = new DataView(raw.buffer, raw.byteOffset, bytes);
    for (let r = 0; r < count; r++) {
      const at = r * this.rowBytes;
      const d = header.getInt32(at, true);
      if (d !== dim) {
        throw new DataError(`${path}: record ${start + r} has dimension ${d}, but record 0 has ${dim}`);
      }
      out.set(typedView(dtype, raw, at + rowPrefix, dim), r * dim);
    }
  }

  async close(): Promise<void> {
    await this.input.handle.close();
  }
}
