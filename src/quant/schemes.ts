/**
 * The quantization schemes and their storage shape. The formulas are in docs/quantization.md;
 * the kernels are in crates/vectro-core/src/quant/ and src/backends/js/.
 */
export const SCHEME_NAMES = ['int8', 'int4', 'int2', 'binary'] as const;
export type SchemeName = (typeof SCHEME_NAMES)[number];

export interface Scheme {
  readonly name: SchemeName;
  /** Number in the `.vq` header and in native calls. */
  readonly id: number;
  readonly bits: 8 | 4 | 2 | 1;
  /** float32 parameters per vector: scale (int8), lo and step (int4/int2), s (binary). */
  readonly vectorParams: number;
  /** Whether the file stores a per-dimension center (binary). */
  readonly hasCenter: boolean;
}

export const SCHEMES: Record<SchemeName, Scheme> = {
  int8: { name: 'int8', id: 1, bits: 8, vectorParams: 1, hasCenter: false },
  int4: { name: 'int4', id: 2, bits: 4, vectorParams: 2, hasCenter: false },
  int2: { name: 'int2', id: 3, bits: 2, vectorParams: 2, hasCenter: false },
  binary: { name: 'binary', id: 4, bits: 1, vectorParams: 1, hasCenter: true },
};

export function schemeById(id: number): Scheme | undefined {
  return Object.values(SCHEMES).find((s) => s.id === id);
}

/** Bytes of packed codes per vector (each vector starts on a byte boundary). */
export function codeBytes(scheme: Scheme, dim: number): number {
  return Math.ceil((dim * scheme.bits) / 8);
}

/** float32 parameters stored once per file. */
export function fileParams(scheme: Scheme, dim: number): number {
  return scheme.hasCenter ? dim : 0;
}

/** Largest dimension vectro accepts. */
export const MAX_DIM = 65_536;
