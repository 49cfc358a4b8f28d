import { DataError } from '../errors.js';
import { readFully } from './atomic.js';
import { DTYPE_BYTES, FORMAT_DTYPE, type VectorFormat } from './detect.js';
import type { InputFile } from './input.js';
import { checkDim, type RowLayout } from './layout.js';

/** big-ann-benchmarks `.fbin` / `.u8bin` / `.i8bin` / `.ibin`: uint32 n, uint32 d, then n*d values. */
export async function layoutBigAnn(input: InputFile, format: VectorFormat): Promise<RowLayout> {
  const { path, handle, size } = input;
  const dtype = FORMAT_DTYPE[format as 'fbin'];
  if (size < 8) throw new DataError(`${path}: truncated: ${size} bytes, the header alone is 8 (uint32 count, uint32 dim)`);
  const head = new Uint8Array(8);
  await readFully(handle, head, 0);
  const view = new DataView(head.buffer);
  const count = view.getUint32(0, true);
  const dim = view.getUint32(4, true);
  checkDim(path, dim);
  const want = 8 + count * dim * DTYPE_BYTES[dtype];
  if (size < want) {
    throw new DataError(`${path}: truncated: the header says ${count} x ${dim} (${want} bytes) but the file has ${size}`);
  }
  if (size > want) {
    throw new DataError(`${path}: ${size - want} bytes after the ${count} x ${dim} vectors the header announces`);
  }
  return { dtype, dim, count, dataOffset: 8, rowPrefix: 0 };
}

/** The 8-byte header of a big-ann file. */
export function bigAnnHeader(count: number, dim: number): Uint8Array {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint32(0, count, true);
  view.setUint32(4, dim, true);
  return head;
}
