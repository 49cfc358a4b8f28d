import { DataError, printable } from '../errors.js';
import { readFully } from './atomic.js';
import { DTYPE_BYTES, type Dtype } from './detect.js';
import type { InputFile } from './input.js';
import { checkDim, type RowLayout } from './layout.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, Dtype> = { '<f4': 'float32', '|u1': 'uint8', '<u1': 'uint8', '|i1': 'int8', '<i1': 'int8', '<i4': 'int32' };
const DESCR_OF: Record<Dtype, string> = { float32: '<f4', uint8: '|u1', int8: '|i1', int32: '<i4' };

/** NumPy `.npy`, version 1 to 3: a 2-D C-order array of float32, uint8, int8 or int32. */
export async function layoutNpy(input: InputFile): Promise<RowLayout> {
  const { path, handle, size } = input;
  const pre = new Uint8Array(12);
  const got = Math.min(12, size);
  await readFully(handle, pre.subarray(0, got), 0);
  if (got < 10 || MAGIC.some((b, i) => pre[i] !== b)) throw new DataError(`${path}: not a .npy file (bad magic)`);
  const major = pre[6];
  if (major < 1 || major > 3) throw new DataError(`${path}: unsupported .npy version ${major}.${pre[7]}`);
  const view = new DataView(pre.buffer);
  const headerStart = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = headerStart + headerLength;
  if (dataOffset > size) throw new DataError(`${path}: truncated: the .npy header runs past the end of the file`);
  const headerBytes = new Uint8Array(headerLength);
  await readFully(handle, headerBytes, headerStart);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw new DataError(`${path}: malformed .npy header: ${printable(header.trim(), 80)}`);
  }
  const dtype = DESCR[descr];
  if (!dtype) throw new DataError(`${path}: .npy dtype '${printable(descr, 20)}' is not supported (use float32, uint8, int8 or int32, little-endian)`);
  if (fortran === 'True') throw new DataError(`${path}: .npy array is in Fortran order; save it in C order (np.ascontiguousarray)`);
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (dims.length !== 2 || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new DataError(`${path}: .npy array must be 2-D (count, dim), its shape is (${printable(shape, 40)})`);
  }
  const [count, dim] = dims;
  checkDim(path, dim);
  const want = dataOffset + count * dim * DTYPE_BYTES[dtype];
  if (size < want) throw new DataError(`${path}: truncated: shape (${count}, ${dim}) needs ${want} bytes but the file has ${size}`);
  if (size > want) throw new DataError(`${path}: ${size - want} bytes after the (${count}, ${dim}) array`);
  return { dtype, dim, count, dataOffset, rowPrefix: 0 };
}

/** A version 1.0 `.npy` header for a C-order (count, dim) array, padded so data starts at a multiple of 64. */
export function npyHeader(dtype: Dtype, count: number, dim: number): Uint8Array {
  const dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': (${count}, ${dim}), }`;
  const unpadded = 10 + dict.length + 1;
  const padded = Math.ceil(unpadded / 64) * 64;
  const text = `${dict + ' '.repeat(padded - unpadded)}\n`;
  const out = new Uint8Array(10 + text.length);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}
