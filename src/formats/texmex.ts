import { DataError } from '../errors.js';
import { readFully } from './atomic.js';
import { DTYPE_BYTES, FORMAT_DTYPE, type VectorFormat } from './detect.js';
import type { InputFile } from './input.js';
import { checkDim, type RowLayout } from './layout.js';

/**
 * TEXMEX `.fvecs` / `.ivecs` / `.bvecs`: each record is an int32 little-endian dimension, then that
 * many float32 / int32 / uint8 values. All records must have the first record's dimension.
 */
export async function layoutTexmex(input: InputFile, format: VectorFormat): Promise<RowLayout> {
  const { path, handle, size } = input;
  const dtype = FORMAT_DTYPE[format as 'fvecs'];
  if (size < 4) throw new DataError(`${path}: truncated: ${size} bytes, a record starts with a 4-byte dimension`);
  const head = new Uint8Array(4);
  await readFully(handle, head, 0);
  const dim = new DataView(head.buffer).getInt32(0, true);
  checkDim(path, dim);
  const recordBytes = 4 + dim * DTYPE_BYTES[dtype];
  if (size % recordBytes !== 0) await diagnose(input, dim, recordBytes);
  return { dtype, dim, count: size / recordBytes, dataOffset: 0, rowPrefix: 4 };
}

/** The size is not a whole number of records: find the record whose dimension differs, or say where it is cut. */
async function diagnose(input: InputFile, dim: number, recordBytes: number): Promise<never> {
  const { path, handle, size } = input;
  const block = new Uint8Array(Math.max(recordBytes, 1 << 22) - (Math.max(recordBytes, 1 << 22) % recordBytes));
  for (let base = 0; base < size; base += block.length) {
    const length = Math.min(block.length, size - base);
    await readFully(handle, block.subarray(0, length), base);
    const view = new DataView(block.buffer, 0, length);
    for (let at = 0; at < length; at += recordBytes) {
      const record = (base + at) / recordBytes;
      if (at + 4 <= length) {
        const d = view.getInt32(at, true);
        if (d !== dim) throw new DataError(`${path}: record ${record} has dimension ${d}, but record 0 has ${dim}`);
      }
      if (base + at + recordBytes > size) {
        throw new DataError(`${path}: truncated: record ${record} needs ${recordBytes} bytes but the file ends ${size - base - at} bytes into it`);
      }
    }
  }
  throw new DataError(`${path}: size ${size} is not a whole number of ${recordBytes}-byte records`);
}
