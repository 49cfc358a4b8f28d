import { normaliseInto } from '../distance/normalise.js';
import { encodeBinary } from '../backends/js/binary.js';
import { dotF32, l2sqF32 } from '../backends/js/distance.js';
import { encodeInt8, int8Distance, int8Norm } from '../backends/js/int8.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { codeBytes, nodeParams, storageFileParams, storageScheme, type Storage } from './format.js';
import { decodeRabitq, encodeRabitq, RabitqQuery } from '../backends/js/rabitq.js';
import { DEFAULT_EPS0, RABITQ_FACTORS, readRabitqBlock, type RabitqBlock } from '../quant/rabitq.js';

/** Set bits of every byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let v = b; v; v >>= 1) n += v & 1;
  return n;
});

/**
 * A query (or a node, while inserting) encoded like the nodes: a float32 vector, int8 codes with
 * their scale and `scale^2 sum(c^2)`, or bits. Arrays may be views into the store, at `offset`.
 */
export interface JsQuery {
  /** rabitq: the prepared query (the estimator). */
  rabitq?: RabitqQuery;
  f32: Float32Array;
  i8: Int8Array;
  bits: Uint8Array;
  offset: number;
  scale: number;
  norm: number;
}

const EMPTY = { f32: new Float32Array(0), i8: new Int8Array(0), bits: new Uint8Array(0) };

/**
 * What the TypeScript HNSW keeps per node and the distances it measures: the same as
 * crates/vectro-core/src/hnsw/store.rs, operation for operation where the Rust side rounds (int8
 * distances, hamming and cosine normalisation match it exactly; float32 sums are taken in float64
 * here, so f32 distances can differ in the last bits).
 */
export class JsStore {
  vectors = new Float32Array(0);
  codes = new Uint8Array(0);
  scales = new Float32Array(0);
  center = new Float32Array(0);
  private norms = new Float64Array(0);
  private i8 = new Int8Array(0);
  private rows = 0;
  private capacity = 0;
  private readonly codeBytes: number;
  private readonly rowBuf: Float32Array;
  /** rabitq: bits, its rotation and center, and (without kept vectors) the reconstructions the graph is built on. */
  private readonly bits: number;
  private block: RabitqBlock | undefined;
  private recon = new Float32Array(0);

  constructor(
    readonly dim: number,
    readonly metric: IndexMetricName,
    readonly storage: Storage,
    readonly keep: boolean,
  ) {
    if (keep && storage === 'f32') throw new RangeError('keeping vectors applies to int8 and binary storage (f32 indexes hold their vectors already)');
    this.codeBytes = codeBytes(storage, dim);
    this.rowBuf = new Float32Array(dim);
    this.bits = storage.startsWith('rabitq') ? storageScheme(storage)!.bits : 0;
  }

  /** Float32 rows node-to-node distances read: the vectors, else rabitq's reconstructions. */
  private get floatRows(): Float32Array {
    return this.bits > 0 && !this.keep ? this.recon : this.vectors;
  }

  get count(): number {
    return this.rows;
  }

  /** The float32 rows the graph is built on (f32 and rabitq storage), or undefined (int8 and binary build on their codes). */
  get buildRows(): Float32Array | undefined {
    return this.storage === 'int8' || this.storage === 'binary' ? undefined : this.floatRows;
  }

  get hasVectors(): boolean {
    return this.storage === 'f32' || this.keep;
  }

  setCenter(center: Float32Array): void {
    if (this.rows > 0) throw new RangeError('the center is fixed once vectors are added');
    if (this.bits > 0) {
      this.block = readRabitqBlock(center, this.dim);
      this.center = Float32Array.from(center);
      return;
    }
    if (this.storage !== 'binary') throw new RangeError('only binary and rabitq storage have a center');
    if (center.length !== this.dim || !center.every(Number.isFinite)) throw new RangeError(`the center must hold ${this.dim} finite values`);
    this.center = Float32Array.from(center);
  }

  /** Writes `x` (at `xo`) into `out` (at `oo`), normalised for cosine. */
  prepare(x: Float32Array, xo: number, out: Float32Array, oo: number): void {
    if (this.metric === 'cosine') normaliseInto(x, xo, this.dim, out, oo);
    else out.set(x.subarray(xo, xo + this.dim), oo);
  }

  /** Room for `extra` more nodes. */
  reserve(extra: number): void {
    const need = this.rows + extra;
    if (need <= this.capacity) return;
    const cap = Math.max(need, this.capacity * 2, 16);
    const grow = <T extends Float32Array | Uint8Array | Float64Array>(old: T, size: number, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old as never);
      return next;
    };
    if (this.hasVectors) this.vectors = grow(this.vectors, cap * this.dim, (n) => new Float32Array(n));
    this.codes = grow(this.codes, cap * this.codeBytes, (n) => new Uint8Array(n));
    this.i8 = new Int8Array(this.codes.buffer, this.codes.byteOffset, this.codes.length);
    if (this.storage === 'int8') {
      this.scales = grow(this.scales, cap, (n) => new Float32Array(n));
      this.norms = grow(this.norms, cap, (n) => new Float64Array(n));
    }
    if (this.bits > 0) {
      this.scales = grow(this.scales, cap * nodeParams(this.storage), (n) => new Float32Array(n));
      if (!this.keep) this.recon = grow(this.recon, cap * this.dim, (n) => new Float32Array(n));
    }
    this.capacity = cap;
  }

  /** Prepares, encodes and appends one row (finite; room reserved). */
  push(x: Float32Array, xo: number): void {
    if (this.storage === 'binary' && this.center.length === 0) throw new RangeError('binary storage needs its center before vectors are added');
    const id = this.rows;
    const row = this.rowBuf;
    this.prepare(x, xo, row, 0);
    if (this.hasVectors) this.vectors.set(row, id * this.dim);
    const codes = this.codes.subarray(id * this.codeBytes, (id + 1) * this.codeBytes);
    if (this.storage === 'int8') {
      encodeInt8(row, this.dim, codes, this.scales.subarray(id, id + 1));
      this.norms[id] = int8Norm(this.i8, id * this.dim, this.dim, this.scales[id]);
    } else if (this.storage === 'binary') {
      if (encodeBinary(row, this.dim, this.center, codes, new Float32Array(1)) >= 0)
        throw new RangeError(`vector ${id} is too far from the center to encode (float32 overflow)`);
    } else if (this.bits > 0) {
      if (!this.block) throw new RangeError('rabitq storage needs its rotation and center before vectors are added');
      const factors = this.scales.subarray(id * RABITQ_FACTORS, (id + 1) * RABITQ_FACTORS);
      if (encodeRabitq(this.bits, row, this.dim, this.center, codes, factors) >= 0)
        throw new RangeError(`vector ${id} is too far from the center to encode (float32 overflow)`);
      if (!this.keep) decodeRabitq(this.bits, codes, factors, this.center, this.dim, this.recon.subarray(id * this.dim, (id + 1) * this.dim));
    }
    this.rows++;
  }

  /** Encodes a query like the nodes (a fresh object: the caller keeps it for one search). */
  encode(q: Float32Array, qo: number): JsQuery {
    const f32 = new Float32Array(this.dim);
    this.prepare(q, qo, f32, 0);
    if (this.storage === 'f32') return { ...EMPTY, f32, offset: 0, scale: 0, norm: 0 };
    if (this.bits > 0) return { ...EMPTY, rabitq: RabitqQuery.around(this.bits, f32, this.block!, this.metric === 'l2'), offset: 0, scale: 0, norm: 0 };
    const codes = new Uint8Array(this.codeBytes);
    if (this.storage === 'binary') {
      encodeBinary(f32, this.dim, this.center, codes, new Float32Array(1));
      return { ...EMPTY, bits: codes, offset: 0, scale: 0, norm: 0 };
    }
    const scale = new Float32Array(1);
    encodeInt8(f32, this.dim, codes, scale);
    const i8 = new Int8Array(codes.buffer);
    return { ...EMPTY, i8, offset: 0, scale: scale[0], norm: int8Norm(i8, 0, this.dim, scale[0]) };
  }

  /** Node `id`'s own codes as a query (views into the store). */
  node(id: number): JsQuery {
    if (this.storage === 'f32' || this.bits > 0) return { ...EMPTY, f32: this.floatRows, offset: id * this.dim, scale: 0, norm: 0 };
    if (this.storage === 'binary') return { ...EMPTY, bits: this.codes, offset: id * this.codeBytes, scale: 0, norm: 0 };
    return { ...EMPTY, i8: this.i8, offset: id * this.dim, scale: this.scales[id], norm: this.norms[id] };
  }

  /** The distance from an encoded query to node `id`, rounded to float32 like the Rust index. */
  distance(q: JsQuery, id: number): number {
    const dim = this.dim;
    if (q.rabitq) return q.rabitq.distanceTo(this.codes, this.scales, id, DEFAULT_EPS0);
    if (this.storage === 'f32' || this.bits > 0) {
      const rows = this.floatRows;
      const d = this.metric === 'l2' ? l2sqF32(q.f32, q.offset, rows, id * dim, dim) : 1 - dotF32(q.f32, q.offset, rows, id * dim, dim);
      return Math.fround(d);
    }
    if (this.storage === 'binary') {
      const cb = this.codeBytes;
      const a = q.bits;
      const b = this.codes;
      let n = 0;
      for (let i = 0, bo = id * cb; i < cb; i++) n += POPCOUNT[a[q.offset + i] ^ b[bo + i]];
      return n;
    }
    const a = q.i8;
    const b = this.i8;
    let dot = 0;
    for (let i = 0, ao = q.offset, bo = id * dim; i < dim; i++) dot += a[ao + i] * b[bo + i];
    return int8Distance(this.metric === 'l2', Math.fround(dot), q.scale, q.norm, this.scales[id], this.norms[id]);
  }

  /** rabitq: the error bound of the estimate from `q` to node `id` (0 otherwise). */
  bound(q: JsQuery, id: number): number {
    if (!q.rabitq) return 0;
    q.rabitq.distanceTo(this.codes, this.scales, id, DEFAULT_EPS0);
    return q.rabitq.lastBound;
  }

  /** The exact float32 distance from a prepared query to node `id` (needs `hasVectors`). */
  exact(q: Float32Array, id: number): number {
    const d = this.metric === 'l2' ? l2sqF32(q, 0, this.vectors, id * this.dim, this.dim) : 1 - dotF32(q, 0, this.vectors, id * this.dim, this.dim);
    return Math.fround(d);
  }

  /** The arrays to save, trimmed to the nodes. */
  parts(): { vectors: Float32Array; codes: Uint8Array; scales: Float32Array; center: Float32Array } {
    return {
      vectors: this.hasVectors ? this.vectors.slice(0, this.rows * this.dim) : new Float32Array(0),
      codes: this.codes.slice(0, this.rows * this.codeBytes),
      scales: this.scales.slice(0, this.rows * nodeParams(this.storage)),
      center: this.center.slice(),
    };
  }

  /** Loads saved arrays for `n` nodes, checking what the Rust store checks. */
  load(n: number, p: { vectors: Float32Array; codes: Uint8Array; scales: Float32Array; center: Float32Array }): void {
    const want = (what: string, got: number, need: number) => {
      if (got !== need) throw new RangeError(`${what} hold ${got} values, ${n} nodes need ${need}`);
    };
    want('vectors', p.vectors.length, this.hasVectors ? n * this.dim : 0);
    want('codes', p.codes.length, n * this.codeBytes);
    want('scales', p.scales.length, n * nodeParams(this.storage));
    want('center values', p.center.length, storageFileParams(this.storage, this.dim));
    for (const v of p.vectors) if (!Number.isFinite(v)) throw new RangeError('vectors hold NaN or infinite values');
    // rabitq's words hold a seed, not floats; readRabitqBlock checks them and its center.
    if (this.bits === 0) for (const v of p.center) if (!Number.isFinite(v)) throw new RangeError('vectors hold NaN or infinite values');
    const what = this.bits > 0 ? 'rabitq factors' : 'int8 scales';
    for (const s of p.scales) if (!(Number.isFinite(s) && s >= 0)) throw new RangeError(`${what} must be finite and not negative`);
    this.block = this.bits > 0 ? readRabitqBlock(p.center, this.dim) : undefined;
    this.center = Float32Array.from(p.center);
    this.reserve(n);
    if (this.hasVectors) this.vectors.set(p.vectors);
    this.codes.set(p.codes);
    if (this.storage === 'int8') {
      this.scales.set(p.scales);
      for (let id = 0; id < n; id++) this.norms[id] = int8Norm(this.i8, id * this.dim, this.dim, p.scales[id]);
    }
    if (this.bits > 0) {
      this.scales.set(p.scales);
      if (!this.keep && n > 0) decodeRabitq(this.bits, p.codes, p.scales, this.center, this.dim, this.recon.subarray(0, n * this.dim));
    }
    this.rows = n;
  }
}

export { normaliseInto };
