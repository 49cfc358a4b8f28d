import { extname } from 'node:path';
import { UsageError } from '../errors.js';

export const VECTOR_FORMATS = ['fvecs', 'ivecs', 'bvecs', 'fbin', 'u8bin', 'i8bin', 'ibin', 'npy'] as const;
export type VectorFormat = (typeof VECTOR_FORMATS)[number];
export type Dtype = 'float32' | 'uint8' | 'int8' | 'int32';

/** Formats `dequantize` (and later commands) can write. */
export const OUTPUT_FORMATS = ['fvecs', 'fbin', 'npy'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The element type each fixed-type format stores (npy says so in its header). */
export const FORMAT_DTYPE: Record<Exclude<VectorFormat, 'npy'>, Dtype> = {
  fvecs: 'float32',
  ivecs: 'int32',
  bvecs: 'uint8',
  fbin: 'float32',
  u8bin: 'uint8',
  i8bin: 'int8',
  ibin: 'int32',
};

export const DTYPE_BYTES: Record<Dtype, number> = { float32: 4, int32: 4, uint8: 1, int8: 1 };

/** The vector format of `path`, from `--format` if given, else from its extension. */
export function vectorFormatOf(path: string, override?: VectorFormat): VectorFormat {
  if (override) return override;
  const ext = extname(path).slice(1).toLowerCase();
  if ((VECTOR_FORMATS as readonly string[]).includes(ext)) return ext as VectorFormat;
  const shown = ext ? `'.${ext}'` : 'none';
  throw new UsageError(`${path}: unknown file extension (${shown}); pass --format with one of ${VECTOR_FORMATS.join(', ')}`);
}

/** The output format of `path`, from its extension. */
export function outputFormatOf(path: string, flag = '-o'): OutputFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((OUTPUT_FORMATS as readonly string[]).includes(ext)) return ext as OutputFormat;
  throw new UsageError(`${flag} ${path}: cannot write '.${ext}' files; use one of ${OUTPUT_FORMATS.map((f) => `.${f}`).join(', ')}`);
}
