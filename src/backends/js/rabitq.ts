/**
 * rabitqB codes, their reconstruction and the distance estimator with its error bound.
 * Mirrors crates/vectro-core/src/quant/rabitq.rs operation for operation (float64, fixed order),
 * so codes, factors, reconstructions and estimates are the same bits; docs/quantization.md has
 * the formulas.
 */
import { RABITQ_FACTORS, readRabitqBlock, type RabitqBlock } from '../../quant/rabitq.js';
import { MAX_DIM, rabitqCodeBytes } from '../../quant/schemes.js';

const COARSE = 40;
const FINE = 40;
const SCALE_LO = 0.1;
const SCALE_HI = 2.0;
/** Query levels: v_i ~ delta * s_i, s_i in -16383..16383 (a sum of 4 spans under 2^16: FastScan's tables). */
const QUERY_LEVELS = 16383;

/**
 * The cosine between `w` and the levels min(floor(t w_i), m) + 1/2, summed as the core sums it:
 * <y, w> in 8 interleaved lanes combined pairwise, |y|^2 from whole numbers (exact in any order).
 */
function cosineAt(w: Float64Array, m: number, t: number): number {
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0,
    a4 = 0,
    a5 = 0,
    a6 = 0,
    a7 = 0;
  let odd = 0;
  const level = (wi: number) => Math.min(Math.floor(t * wi), m);
  for (let c = 0; c < w.length; c += 8) {
    const k0 = level(w[c]),
      k1 = level(w[c + 1]),
      k2 = level(w[c + 2]),
      k3 = level(w[c + 3]);
    const k4 = level(w[c + 4]),
      k5 = level(w[c + 5]),
      k6 = level(w[c + 6]),
      k7 = level(w[c + 7]);
    a0 += (k0 + 0.5) * w[c];
    a1 += (k1 + 0.5) * w[c + 1];
    a2 += (k2 + 0.5) * w[c + 2];
    a3 += (k3 + 0.5) * w[c + 3];
    a4 += (k4 + 0.5) * w[c + 4];
    a5 += (k5 + 0.5) * w[c + 5];
    a6 += (k6 + 0.5) * w[c + 6];
    a7 += (k7 + 0.5) * w[c + 7];
    odd += (2 * k0 + 1) * (2 * k0 + 1) + (2 * k1 + 1) * (2 * k1 + 1) + (2 * k2 + 1) * (2 * k2 + 1) + (2 * k3 + 1) * (2 * k3 + 1);
    odd += (2 * k4 + 1) * (2 * k4 + 1) + (2 * k5 + 1) * (2 * k5 + 1) + (2 * k6 + 1) * (2 * k6 + 1) + (2 * k7 + 1) * (2 * k7 + 1);
  }
  const dot = a0 + a1 + (a2 + a3) + (a4 + a5 + (a6 + a7));
  return dot / Math.sqrt(odd / 4);
}

function bestLevels(w: Float64Array, m: number, k: Uint8Array): void {
  let wmax = 0;
  for (let i = 0; i < w.length; i++) if (w[i] > wmax) wmax = w[i];
  if (wmax === 0 || m === 0) {
    k.fill(0);
    return;
  }
  const unit = (m + 1) / wmax;
  const step = (SCALE_HI - SCALE_LO) / (COARSE - 1);
  let bestT = SCALE_LO * unit;
  let best = -Infinity;
  for (let g = 0; g < COARSE; g++) {
    const t = (SCALE_LO + step * g) * unit;
    const c = cosineAt(w, m, t);
    if (c > best) [best, bestT] = [c, t];
  }
  const lo = bestT - step * unit;
  const fineStep = (2 * step * unit) / (FINE - 1);
  for (let g = 0; g < FINE; g++) {
    const t = lo + fineStep * g;
    if (t <= 0) continue;
    const c = cosineAt(w, m, t);
    if (c > best) [best, bestT] = [c, t];
  }
  for (let i = 0; i < w.length; i++) k[i] = Math.min(Math.floor(bestT * w[i]), m);
}

/** Encodes rows; returns the first row whose factors are not finite, or -1. */
export function encodeRabitq(bits: number, x: Float32Array, dim: number, words: Float32Array, codes: Uint8Array, params: Float32Array): number {
  const block = readRabitqBlock(words, dim);
  const p = block.rotation.padded;
  const m = (1 << (bits - 1)) - 1;
  const u = new Float64Array(p);
  const w = new Float64Array(p);
  const k = new Uint8Array(p);
  const cb = rabitqCodeBytes(bits, dim);
  const plane = p / 8;
  const rows = x.length / dim;
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    for (let i = 0; i < p; i++) u[i] = i < dim ? x[base + i] - block.center[i] : 0;
    block.rotation.apply(u);
    for (let i = 0; i < p; i++) w[i] = Math.abs(u[i]);
    bestLevels(w, m, k);
    const code = codes.subarray(r * cb, (r + 1) * cb);
    code.fill(0);
    let norm2 = 0;
    let ip = 0;
    let ysq = 0;
    for (let i = 0; i < p; i++) {
      const level = k[i] + 0.5;
      norm2 += u[i] * u[i];
      ip += level * w[i];
      ysq += level * level;
      const c = u[i] >= 0 ? m + 1 + k[i] : m - k[i];
      for (let b = 0; b < bits; b++) code[b * plane + (i >>> 3)] |= ((c >>> b) & 1) << (i & 7);
    }
    let fv = 0;
    let ev = 0;
    if (ip > 0) {
      const a = ip / (Math.sqrt(ysq) * Math.sqrt(norm2));
      ev = (Math.sqrt(norm2) * Math.sqrt(Math.max(1 - a * a, 0))) / (a * Math.sqrt(p - 1));
      fv = norm2 / ip;
    }
    const [n32, f32, e32] = [Math.fround(norm2), Math.fround(fv), Math.fround(ev)];
    if (!Number.isFinite(n32) || !Number.isFinite(f32) || !Number.isFinite(e32)) return r;
    params[r * RABITQ_FACTORS] = n32;
    params[r * RABITQ_FACTORS + 1] = f32;
    params[r * RABITQ_FACTORS + 2] = e32;
  }
  return -1;
}

function codeAt(code: Uint8Array, bits: number, plane: number, i: number): number {
  let c = 0;
  for (let b = 0; b < bits; b++) c |= ((code[b * plane + (i >>> 3)] >>> (i & 7)) & 1) << b;
  return c;
}

/** Reconstructs rows: c + R^-1((<y, u> / |y|^2) y). */
export function decodeRabitq(bits: number, codes: Uint8Array, params: Float32Array, words: Float32Array, dim: number, out: Float32Array): void {
  const block = readRabitqBlock(words, dim);
  const p = block.rotation.padded;
  const half = ((1 << bits) - 1) / 2;
  const y = new Float64Array(p);
  const cb = rabitqCodeBytes(bits, dim);
  const rows = params.length / RABITQ_FACTORS;
  for (let r = 0; r < rows; r++) {
    const code = codes.subarray(r * cb, (r + 1) * cb);
    let ysq = 0;
    for (let i = 0; i < p; i++) {
      y[i] = codeAt(code, bits, p / 8, i) - half;
      ysq += y[i] * y[i];
    }
    const norm2 = params[r * RABITQ_FACTORS];
    const fv = params[r * RABITQ_FACTORS + 1];
    const scale = fv > 0 ? norm2 / fv / ysq : 0;
    for (let i = 0; i < p; i++) y[i] *= scale;
    block.rotation.invert(y);
    for (let i = 0; i < dim; i++) out[r * dim + i] = y[i] + block.center[i];
  }
}

function quantizeLevel(x: number): number {
  const r = Math.min(Math.floor(Math.abs(x) + 0.5), QUERY_LEVELS);
  return x < 0 ? -r : r;
}

/** A query prepared against one rabitq file or index: estimates from codes and factors. */
export class RabitqQuery {
  /** The quantized query: v_i ~ delta * s_i. */
  readonly s: Int32Array;
  /** Per group of 8 coordinates, the 256 sums of s over each bit pattern (built on first use). */
  private lutTable: Int32Array | undefined;
  private readonly delta: number;
  private readonly sumS: number;
  /** l2: |q - c|^2; ip: <q, c>. */
  private constant: number;
  private readonly vNorm: number;
  private readonly plane: number;

  /**
   * A query from its rotated query-side vector `v` (P values: R(pad(q - c)) for l2, R(pad(q)) for
   * ip) and the estimator's constant, as the core's `Prepared::rotated`.
   */
  constructor(
    private readonly bits: number,
    v: Float64Array,
    constant: number,
    private readonly l2: boolean,
  ) {
    const p = v.length;
    let sq = 0;
    let vmax = 0;
    for (let i = 0; i < p; i++) {
      sq += v[i] * v[i];
      if (Math.abs(v[i]) > vmax) vmax = Math.abs(v[i]);
    }
    const delta = vmax > 0 ? vmax / QUERY_LEVELS : 1;
    const s = new Int32Array(p);
    let sumS = 0;
    for (let i = 0; i < p; i++) {
      s[i] = quantizeLevel(v[i] / delta);
      sumS += s[i];
    }
    this.s = s;
    this.delta = delta;
    this.sumS = sumS;
    this.constant = constant;
    this.vNorm = Math.sqrt(sq);
    this.plane = p / 8;
  }

  /** Query `q` (already normalised for cosine) against codes around `block`'s center. */
  static around(bits: number, q: Float32Array, block: RabitqBlock, l2: boolean): RabitqQuery {
    const { dim, padded: p } = block.rotation;
    const v = new Float64Array(p);
    let constant = 0;
    for (let i = 0; i < dim; i++) {
      const qi = q[i];
      const ci = block.center[i];
      if (l2) {
        v[i] = qi - ci;
        constant += v[i] * v[i];
      } else {
        v[i] = qi;
        constant += qi * ci;
      }
    }
    block.rotation.apply(v);
    return new RabitqQuery(bits, v, constant, l2);
  }

  /** Replaces the estimator's constant (ip: <q, c> for codes around another center c). */
  setConstant(constant: number): void {
    this.constant = constant;
  }

  private get lut(): Int32Array {
    if (this.lutTable) return this.lutTable;
    const { s } = this;
    const lut = new Int32Array((s.length / 8) * 256);
    for (let g = 0; g < s.length / 8; g++) {
      const t = g * 256;
      for (let pattern = 1; pattern < 256; pattern++) {
        const low = 31 - Math.clz32(pattern & -pattern);
        lut[t + pattern] = lut[t + (pattern & (pattern - 1))] + s[8 * g + low];
      }
    }
    return (this.lutTable = lut);
  }

  /** <code, s>: the integer dot product of the code's values with the quantized query. */
  codeDot(codes: Uint8Array, at: number): number {
    const { lut, plane } = this;
    let total = 0;
    for (let b = 0; b < this.bits; b++) {
      let sum = 0;
      const first = at + b * plane;
      for (let g = 0; g < plane; g++) sum += lut[g * 256 + codes[first + g]];
      total += sum * 2 ** b;
    }
    return total;
  }

  /** The bound of the last `distanceTo`. */
  lastBound = 0;

  /** The estimated distance (float32) to row `row`; its bound is left in `lastBound`. */
  distanceTo(codes: Uint8Array, params: Float32Array, row: number, eps0: number): number {
    return this.finish(this.codeDot(codes, row * this.plane * this.bits), params, row, eps0);
  }

  /** The estimated distance (float32) for row `row` whose integer dot product is `dot`; its bound is left in `lastBound`. */
  finish(dot: number, params: Float32Array, row: number, eps0: number): number {
    const half = (2 ** this.bits - 1) / 2;
    const f = row * RABITQ_FACTORS;
    const ip = params[f + 1] * this.delta * (dot - half * this.sumS);
    const bound = eps0 * this.vNorm * params[f + 2];
    this.lastBound = Math.fround(this.l2 ? 2 * bound : bound);
    return Math.fround(this.l2 ? params[f] + this.constant - 2 * ip : 1 - (this.constant + ip));
  }

  /**
   * The estimated distance and its bound for row `row`, written to `dists[out]` and `bounds[out]`
   * as float32.
   */
  estimate(codes: Uint8Array, params: Float32Array, row: number, eps0: number, dists: Float32Array, bounds: Float32Array, out: number): void {
    dists[out] = this.distanceTo(codes, params, row, eps0);
    bounds[out] = this.lastBound;
  }
}

/** Checks an estimate's arguments (`codeBytes(rows)`: the codes' length for `rows` rows); returns the block, rows and queries. */
export function checkEstimate(
  bits: number,
  words: Float32Array,
  dim: number,
  queries: Float32Array,
  codes: Uint8Array,
  codeBytes: (rows: number) => number,
  params: Float32Array,
  dists: Float32Array,
  bounds: Float32Array,
  eps0: number,
): { block: RabitqBlock; rows: number; nq: number } {
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`dim must be 1 to ${MAX_DIM}, got ${dim}`);
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`rabitq bits must be 1 to 8, got ${bits}`);
  const block = readRabitqBlock(words, dim);
  const nq = queries.length / dim;
  if (!Number.isInteger(nq)) throw new RangeError(`queries hold ${queries.length} floats, not whole vectors of dim ${dim}`);
  const rows = Math.floor(params.length / RABITQ_FACTORS);
  if (params.length % RABITQ_FACTORS !== 0 || codes.length !== codeBytes(rows)) {
    throw new RangeError(
      `${codes.length} code bytes and ${params.length} factors are not whole rows of ${RABITQ_FACTORS} factors and their codes (${codeBytes(rows)} bytes for ${rows} rows)`,
    );
  }
  if (dists.length !== nq * rows || bounds.length !== nq * rows) throw new RangeError(`dists and bounds must hold queries x rows = ${nq * rows} values`);
  if (!(eps0 >= 0 && Number.isFinite(eps0))) throw new RangeError('eps0 must be finite and not negative');
  return { block, rows, nq };
}

/** Estimated distances and bounds from each query to each coded row: `dists[q * rows + j]`. */
export function rabitqEstimate(
  bits: number,
  words: Float32Array,
  dim: number,
  queries: Float32Array,
  l2: boolean,
  codes: Uint8Array,
  params: Float32Array,
  eps0: number,
  dists: Float32Array,
  bounds: Float32Array,
): void {
  const cb = rabitqCodeBytes(bits, dim);
  const { block, rows, nq } = checkEstimate(bits, words, dim, queries, codes, (n) => n * cb, params, dists, bounds, eps0);
  for (let q = 0; q < nq; q++) {
    const query = RabitqQuery.around(bits, queries.subarray(q * dim, (q + 1) * dim), block, l2);
    for (let j = 0; j < rows; j++) query.estimate(codes, params, j, eps0, dists, bounds, q * rows + j);
  }
}
