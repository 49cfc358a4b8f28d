import h5wasm from 'h5wasm/node';
import { DataError } from '../errors.js';

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** Rows read per slice: bounds the WebAssembly heap a read needs (a few MB at a time). */
const SLICE_ROWS = 8192;

/**
 * A 2-d dataset of an HDF5 file (ann-benchmarks' `train`, `test`, `neighbors`), read through
 * h5wasm (WebAssembly, no native build) slice by slice into a caller's typed array.
 */
export class Hdf5Matrix {
  private constructor(
    private readonly file: H5File,
    private readonly dataset: H5Dataset,
    readonly path: string,
    readonly name: string,
    readonly count: number,
    readonly dim: number,
  ) {}

  static async open(path: string, name: string): Promise<Hdf5Matrix> {
    await h5wasm.ready;
    let file: H5File;
    try {
      file = new h5wasm.File(path, 'r');
    } catch (err) {
      throw new DataError(`${path}: not a readable HDF5 file (${(err as Error).message})`);
    }
    const entity = file.get(name);
    if (!(entity instanceof h5wasm.Dataset)) {
      const keys = file.keys().join(', ') || 'none';
      file.close();
      throw new DataError(`${path}: has no dataset '${name}' (datasets: ${keys})`);
    }
    const shape = entity.shape ?? [];
    if (shape.length !== 2 || shape[0] < 1 || shape[1] < 1) {
      file.close();
      throw new DataError(`${path}: dataset '${name}' has shape [${shape.join(', ')}], expected rows x columns`);
    }
    return new Hdf5Matrix(file, entity, path, name, shape[0], shape[1]);
  }

  /** A string attribute of the file's root (ann-benchmarks: `distance`), if present. */
  rootAttribute(attr: string): string | undefined {
    const a = this.file.attrs[attr];
    const v = a?.value;
    return typeof v === 'string' ? v : undefined;
  }

  /** Rows [start, start + n) into `out`, converted to its element type. */
  read(start: number, n: number, out: Float32Array | Int32Array): void {
    for (let at = start; at < start + n; at += SLICE_ROWS) {
      const end = Math.min(start + n, at + SLICE_ROWS);
      const part = this.dataset.slice([[at, end]]);
      if (!ArrayBuffer.isView(part) || (part as unknown as ArrayLike<number>).length !== (end - at) * this.dim) {
        throw new DataError(`${this.path}: dataset '${this.name}' is not numeric`);
      }
      const offset = (at - start) * this.dim;
      if (part instanceof BigInt64Array || part instanceof BigUint64Array) {
        for (let i = 0; i < part.length; i++) out[offset + i] = Number(part[i]);
      } else out.set(part as unknown as ArrayLike<number>, offset);
    }
  }

  close(): void {
    this.file.close();
  }
}
