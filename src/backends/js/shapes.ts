import { codeBytes, fileParams, MAX_DIM, type Scheme } from '../../quant/schemes.js';

/** The same checks as the Rust core's `check_shapes`; returns the row count. */
export function checkShapes(scheme: Scheme, dim: number, values: number, codes: number, params: number, center: number): number {
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
    throw new RangeError(`dim must be between 1 and ${MAX_DIM}, got ${dim}`);
  }
  if (values % dim !== 0) throw new RangeError(`vector buffer length ${values} is not a multiple of dim ${dim}`);
  const rows = values / dim;
  const wantCodes = rows * codeBytes(scheme, dim);
  if (codes !== wantCodes) {
    throw new RangeError(`codes buffer holds ${codes} bytes, ${rows} ${scheme.name} vectors need ${wantCodes}`);
  }
  const wantParams = rows * scheme.vectorParams;
  if (params !== wantParams) throw new RangeError(`params buffer holds ${params} floats, ${rows} vectors need ${wantParams}`);
  const wantCenter = fileParams(scheme, dim);
  if (center !== wantCenter) throw new RangeError(`center holds ${center} floats, ${scheme.name} needs ${wantCenter}`);
  return rows;
}
