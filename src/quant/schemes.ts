/**
 * The registry of code schemes: one entry per scheme, read by the `.vq` container, `quantize`,
 * the search report, HNSW storage and the bench suites. The formulas are in docs/quantization.md;
 * the kernels are in crates/vectro-core/src/quant/ and src/backends/js/ (one file per family).
 */
import { paddedDim } from '../backends/js/rotation.js';

export const RABITQ_NAMES = ['rabitq1', 'rabitq2', 'rabitq3', 'rabitq4', 'rabitq5', 'rabitq6', 'rabitq7', 'rabitq8'] as const;
export const SCHEME_NAMES = ['int8', 'int4', 'int2', 'binary', ...RABITQ_NAMES] as const;
export type SchemeName = (typeof SCHEME_NAMES)[number];

/** Kernel families: each is one file per backend. */
export type SchemeFamily = 'int8' | 'affine' | 'binary' | 'rabitq';

export interface Scheme {
  readonly name: SchemeName;
  /** Number in the `.vq` header and in native calls. */
  readonly id: number;
  readonly family: SchemeFamily;
  readonly bits: number;
  /** float32 parameters per vector: scale (int8), lo and step (int4/int2), s (binary), |u|^2, f, e (rabitq). */
  readonly vectorParams: number;
  /**
   * Whether encoding needs the data's mean first (binary: its center; rabitq: the center the
   * residuals are taken from, next to the rotation).
   */
  readonly hasCenter: boolean;
  /** Names of the per-vector parameters, in stored order; all but `lo` are never negative. */
  readonly paramNames: readonly string[];
  /** Bytes of codes per vector (each vector starts on a byte boundary). */
  codeBytes(dim: number): number;
  /** 32-bit words stored once per file: none, the center (binary), rotation words + center (rabitq). */
  fileParams(dim: number): number;
}

/** rabitq: u32 words before the center in its file-parameter block (src/quant/rabitq.ts). */
export const RABITQ_HEADER_WORDS = 8;

const packed = (bits: number) => (dim: number) => Math.ceil((dim * bits) / 8);

export function rabitqCodeBytes(bits: number, dim: number): number {
  return (bits * paddedDim(dim)) / 8;
}

/** Rows per FastScan block (crates/vectro-core/src/quant/fastscan.rs). */
export const FASTSCAN_BLOCK = 32;

/** Bytes of `rows` rabitqB codes packed in FastScan blocks (`Backend.rabitqPack`). */
export function rabitqPackedBytes(bits: number, dim: number, rows: number): number {
  return Math.ceil(rows / FASTSCAN_BLOCK) * rabitqCodeBytes(bits, dim) * FASTSCAN_BLOCK;
}

function rabitq(bits: number): Scheme {
  return {
    name: RABITQ_NAMES[bits - 1],
    id: 4 + bits,
    family: 'rabitq',
    bits,
    vectorParams: 3,
    paramNames: ['norm2', 'f', 'e'],
    hasCenter: true,
    codeBytes: (dim) => rabitqCodeBytes(bits, dim),
    fileParams: (dim) => RABITQ_HEADER_WORDS + dim,
  };
}

export const SCHEMES: Record<SchemeName, Scheme> = {
  int8: { name: 'int8', id: 1, family: 'int8', bits: 8, vectorParams: 1, paramNames: ['scale'], hasCenter: false, codeBytes: packed(8), fileParams: () => 0 },
  int4: {
    name: 'int4',
    id: 2,
    family: 'affine',
    bits: 4,
    vectorParams: 2,
    paramNames: ['lo', 'step'],
    hasCenter: false,
    codeBytes: packed(4),
    fileParams: () => 0,
  },
  int2: {
    name: 'int2',
    id: 3,
    family: 'affine',
    bits: 2,
    vectorParams: 2,
    paramNames: ['lo', 'step'],
    hasCenter: false,
    codeBytes: packed(2),
    fileParams: () => 0,
  },
  binary: {
    name: 'binary',
    id: 4,
    family: 'binary',
    bits: 1,
    vectorParams: 1,
    paramNames: ['s'],
    hasCenter: true,
    codeBytes: packed(1),
    fileParams: (dim) => dim,
  },
  ...(Object.fromEntries(RABITQ_NAMES.map((name, i) => [name, rabitq(i + 1)])) as Record<(typeof RABITQ_NAMES)[number], Scheme>),
};

export function schemeById(id: number): Scheme | undefined {
  return Object.values(SCHEMES).find((s) => s.id === id);
}

/** Bytes of packed codes per vector (each vector starts on a byte boundary). */
export function codeBytes(scheme: Scheme, dim: number): number {
  return scheme.codeBytes(dim);
}

/** 32-bit words stored once per file. */
export function fileParams(scheme: Scheme, dim: number): number {
  return scheme.fileParams(dim);
}

/** Largest dimension vectro accepts. */
export const MAX_DIM = 65_536;
