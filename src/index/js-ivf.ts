/**
 * The IVF index in TypeScript: crates/vectro-core/src/ivf/mod.rs step for step, the baseline the
 * native index is measured against. Lists, codes and files are the same bits as native's (k-means
 * in js-kmeans.ts trains the same centroids). Searches agree exactly where float32 distances are
 * exact (whole-number data), except that the probed lists are ranked by float32 distances to the
 * centroids, whose last bits differ between the backends: with every list probed, the results agree.
 */
import { dotF32, l2sqF32 } from '../backends/js/distance.js';
import { FastScanTables, rabitqPack } from '../backends/js/fastscan.js';
import { encodeInt8, int8Distance, int8Norm } from '../backends/js/int8.js';
import { encodeRabitq, RabitqQuery } from '../backends/js/rabitq.js';
import { Rotation } from '../backends/js/rotation.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { normaliseInto } from '../distance/normalise.js';
import { DEFAULT_EPS0, RABITQ_FACTORS, rabitqBlock } from '../quant/rabitq.js';
import { FASTSCAN_BLOCK, rabitqCodeBytes, rabitqPackedBytes } from '../quant/schemes.js';
import type { IndexData } from './format.js';
import type { IvfStorage } from './ivf.js';
import { assignExact } from './js-kmeans.js';

/** A query encoded for the lists (native's `Encoded`). */
interface EncodedQuery {
  int8?: { codes: Int8Array; scale: number; norm: number };
  rabitq?: { rq: Float64Array; shared?: { query: RabitqQuery; tables: FastScanTables } };
}

/** Candidates as native's `Shortlist` ranks them: by estimate (or distance), then position; NaN last. */
class Shortlist {
  readonly d: number[] = [];
  readonly pos: number[] = [];
  readonly bound: number[] = [];

  /** Offers `dists[i]` at position `first + i`, with its error bound `bounds[i]`. */
  offer(dists: Float32Array, bounds: Float32Array, first: number): void {
    for (let i = 0; i < dists.length; i++) {
      this.d.push(Number.isNaN(dists[i]) ? Infinity : dists[i]);
      this.pos.push(first + i);
      this.bound.push(bounds[i]);
    }
  }

  /** The `cap` first candidates' indexes, in order. */
  sorted(cap: number): number[] {
    const order = Array.from(this.d.keys());
    order.sort((a, b) => this.d[a] - this.d[b] || this.pos[a] - this.pos[b]);
    return order.slice(0, cap);
  }
}

/** The `n` least scores' indexes, nearest first (ties to the lower index), as native's `TopK`. */
function smallest(scores: Float32Array, n: number): number[] {
  const order = Array.from(scores.keys());
  order.sort((a, b) => scores[a] - scores[b] || a - b);
  return order.slice(0, n);
}

export class JsIvf {
  private readonly bits: number;
  private readonly rotation: Rotation | undefined;
  private readonly rotatedCentroids: Float64Array;
  readonly nlist: number;
  private offsets: Uint32Array;
  private ids: Uint32Array = new Uint32Array(0);
  private vectors: Float32Array = new Float32Array(0);
  private codes: Uint8Array = new Uint8Array(0);
  private params: Float32Array = new Float32Array(0);
  private packed: Uint8Array = new Uint8Array(0);
  private blocks: Uint32Array;
  /** int8: the codes read as signed values, and each position's `int8Norm` (derived, not saved). */
  private i8: Int8Array = new Int8Array(0);
  private norms: Float64Array = new Float64Array(0);

  constructor(
    readonly dim: number,
    readonly metric: IndexMetricName,
    readonly storage: IvfStorage,
    readonly keepVectors: boolean,
    readonly centroids: Float32Array,
    readonly seed: bigint,
  ) {
    this.nlist = centroids.length / dim;
    this.bits = storage.startsWith('rabitq') ? Number(storage.slice('rabitq'.length)) : 0;
    this.rotation = this.bits > 0 ? new Rotation(seed, dim) : undefined;
    this.offsets = new Uint32Array(this.nlist + 1);
    this.blocks = new Uint32Array(this.nlist + 1);
    const p = this.rotation?.padded ?? 0;
    this.rotatedCentroids = new Float64Array(this.metric === 'l2' ? this.nlist * p : 0);
    if (this.rotation && metric === 'l2') {
      for (let l = 0; l < this.nlist; l++) {
        const v = this.rotatedCentroids.subarray(l * p, (l + 1) * p);
        for (let i = 0; i < dim; i++) v[i] = centroids[l * dim + i];
        this.rotation.apply(v);
      }
    }
  }

  get count(): number {
    return this.ids.length;
  }

  private get hasVectors(): boolean {
    return this.storage === 'f32' || this.keepVectors;
  }

  private get codeBytes(): number {
    return this.bits > 0 ? rabitqCodeBytes(this.bits, this.dim) : this.storage === 'int8' ? this.dim : 0;
  }

  private get factors(): number {
    return this.bits > 0 ? RABITQ_FACTORS : this.storage === 'int8' ? 1 : 0;
  }

  /** Cosine vectors normalised, as native's `prepare_row`. */
  private prepare(x: Float32Array): Float32Array {
    if (this.metric !== 'cosine') return x;
    const out = new Float32Array(x.length);
    for (let r = 0; r < x.length / this.dim; r++) normaliseInto(x, r * this.dim, this.dim, out, r * this.dim);
    return out;
  }

  /** Adds rows (finite, checked by the caller), each after the vectors already in its list. */
  add(x: Float32Array): void {
    const { dim, nlist } = this;
    const rows = x.length / dim;
    if (rows === 0) return;
    const prepared = this.prepare(x);
    const lists = new Uint32Array(rows);
    assignExact(prepared, dim, this.centroids, this.metric !== 'l2', lists, new Float64Array(rows));
    const starts = new Uint32Array(nlist + 1);
    for (const l of lists) starts[l + 1]++;
    for (let l = 0; l < nlist; l++) starts[l + 1] += starts[l];
    const order = new Uint32Array(rows);
    const fill = starts.slice();
    for (let r = 0; r < rows; r++) order[fill[lists[r]]++] = r;

    const [cb, pp] = [this.codeBytes, this.factors];
    const total = this.count + rows;
    const ids = new Uint32Array(total);
    const vectors = new Float32Array(this.hasVectors ? total * dim : 0);
    const codes = new Uint8Array(total * cb);
    const params = new Float32Array(total * pp);
    const offsets = new Uint32Array(nlist + 1);
    let at = 0;
    for (let l = 0; l < nlist; l++) {
      const [a, b] = [this.offsets[l], this.offsets[l + 1]];
      const fresh = order.subarray(starts[l], starts[l + 1]);
      ids.set(this.ids.subarray(a, b), at);
      if (this.hasVectors) vectors.set(this.vectors.subarray(a * dim, b * dim), at * dim);
      codes.set(this.codes.subarray(a * cb, b * cb), at * cb);
      params.set(this.params.subarray(a * pp, b * pp), at * pp);
      const gathered = new Float32Array(fresh.length * dim);
      fresh.forEach((r, i) => gathered.set(prepared.subarray(r * dim, (r + 1) * dim), i * dim));
      const start = at + (b - a);
      fresh.forEach((r, i) => (ids[start + i] = this.count + r));
      if (this.hasVectors) vectors.set(gathered, start * dim);
      if (this.bits > 0 && fresh.length > 0) {
        const words = rabitqBlock(this.seed, this.metric, this.centroids.subarray(l * dim, (l + 1) * dim));
        const bad = encodeRabitq(
          this.bits,
          gathered,
          dim,
          words,
          codes.subarray(start * cb, (start + fresh.length) * cb),
          params.subarray(start * pp, (start + fresh.length) * pp),
        );
        if (bad >= 0) throw new RangeError(`vector ${fresh[bad]} is too far from its centroid to encode (float32 overflow)`);
      }
      if (this.storage === 'int8')
        encodeInt8(gathered, dim, codes.subarray(start * cb, (start + fresh.length) * cb), params.subarray(start, start + fresh.length));
      at = start + fresh.length;
      offsets[l + 1] = at;
    }
    [this.ids, this.vectors, this.codes, this.params, this.offsets] = [ids, vectors, codes, params, offsets];
    this.derive();
  }

  /** What scans read beside the codes, derived from them: rabitq's FastScan blocks, int8's norms. */
  private derive(): void {
    if (this.storage === 'int8') {
      const i8 = new Int8Array(this.codes.buffer, this.codes.byteOffset, this.codes.length);
      this.i8 = i8;
      this.norms = Float64Array.from({ length: this.count }, (_, pos) => int8Norm(i8, pos * this.dim, this.dim, this.params[pos]));
    }
    if (this.bits === 0) return;
    const blockBytes = rabitqPackedBytes(this.bits, this.dim, FASTSCAN_BLOCK);
    for (let l = 0; l < this.nlist; l++) this.blocks[l + 1] = this.blocks[l] + Math.ceil((this.offsets[l + 1] - this.offsets[l]) / FASTSCAN_BLOCK);
    this.packed = new Uint8Array(this.blocks[this.nlist] * blockBytes);
    const cb = this.codeBytes;
    for (let l = 0; l < this.nlist; l++) {
      const [a, b] = [this.offsets[l], this.offsets[l + 1]];
      if (a < b)
        rabitqPack(
          this.bits,
          this.dim,
          this.codes.subarray(a * cb, b * cb),
          this.packed.subarray(this.blocks[l] * blockBytes, this.blocks[l + 1] * blockBytes),
        );
    }
  }

  /** The float32 distance native's kernels give (exact on whole-number data): l2, or 1 - a.b. */
  private distance(q: Float32Array, x: Float32Array, xo: number, l2: boolean): number {
    return l2 ? Math.fround(l2sqF32(q, 0, x, xo, this.dim)) : Math.fround(1 - Math.fround(dotF32(q, 0, x, xo, this.dim)));
  }

  /** Searches each query alone; returns the distance computations made. Arguments are checked by the caller. */
  search(queries: Float32Array, k: number, nprobe: number, rerank: number, ids: Uint32Array, dists: Float32Array): number {
    const { dim } = this;
    const prepared = this.prepare(queries);
    let count = 0;
    for (let r = 0; r < queries.length / dim; r++) {
      const q = prepared.slice(r * dim, (r + 1) * dim);
      const [found, c] = this.searchOne(q, k, nprobe, rerank);
      count += c;
      for (let j = 0; j < k; j++) {
        ids[r * k + j] = found[j]?.[1] ?? 0xffffffff;
        dists[r * k + j] = found[j]?.[0] ?? Infinity;
      }
    }
    return count;
  }

  private searchOne(q: Float32Array, k: number, nprobe: number, rerank: number): [[number, number][], number] {
    const { dim, nlist } = this;
    const coarse = new Float32Array(nlist);
    for (let l = 0; l < nlist; l++) coarse[l] = this.distance(q, this.centroids, l * dim, this.metric === 'l2');
    const short = new Shortlist();
    let count = nlist;
    const encoded = this.encodeQuery(q);
    for (const l of smallest(coarse, nprobe)) {
      this.scanList(q, encoded, l, short);
      count += this.offsets[l + 1] - this.offsets[l];
    }
    const found = short.sorted(Math.max(k, rerank));
    if (rerank === 0) return [found.slice(0, k).map((c) => [short.d[c], this.ids[short.pos[c]]]), count];
    const best: [number, number][] = [];
    let worst = Infinity;
    for (const c of found) {
      const pos = short.pos[c];
      if (best.length === k && Math.fround(short.d[c] - short.bound[c]) >= worst) continue;
      const exact = this.distance(q, this.vectors, pos * dim, this.metric === 'l2');
      count++;
      let at = 0;
      while (at < best.length && (best[at][0] < exact || (best[at][0] === exact && best[at][1] <= pos))) at++;
      best.splice(at, 0, [exact, pos]);
      if (best.length > k) best.pop();
      if (best.length === k) worst = best[k - 1][0];
    }
    return [best.map(([d, pos]) => [d, this.ids[pos]]), count];
  }

  /** What every list's scan shares: int8, the query's codes; rabitq, the rotated query (and for ip and cosine the one prepared query). */
  private encodeQuery(q: Float32Array): EncodedQuery | undefined {
    if (this.storage === 'int8') {
      const codes = new Uint8Array(this.dim);
      const scale = new Float32Array(1);
      encodeInt8(q, this.dim, codes, scale);
      const i8 = new Int8Array(codes.buffer);
      return { int8: { codes: i8, scale: scale[0], norm: int8Norm(i8, 0, this.dim, scale[0]) } };
    }
    if (!this.rotation) return undefined;
    const rq = new Float64Array(this.rotation.padded);
    for (let i = 0; i < this.dim; i++) rq[i] = q[i];
    this.rotation.apply(rq);
    if (this.metric === 'l2') return { rabitq: { rq } };
    const query = new RabitqQuery(this.bits, rq, 0, false);
    return { rabitq: { rq, shared: { query, tables: new FastScanTables(query.s) } } };
  }

  /** Scans list `l`, offering each position's distance or estimate with its error bound (0 for f32). */
  private scanList(q: Float32Array, encoded: EncodedQuery | undefined, l: number, short: Shortlist): void {
    const { dim } = this;
    const [a, b] = [this.offsets[l], this.offsets[l + 1]];
    if (a === b) return;
    const dists = new Float32Array(b - a);
    if (encoded?.int8) {
      const { codes, scale, norm } = encoded.int8;
      const rows = this.i8;
      const l2 = this.metric === 'l2';
      for (let pos = a; pos < b; pos++) {
        let dot = 0;
        for (let i = 0, ro = pos * dim; i < dim; i++) dot += codes[i] * rows[ro + i];
        dists[pos - a] = int8Distance(l2, Math.fround(dot), scale, norm, this.params[pos], this.norms[pos]);
      }
      // No error bound: a rerank re-scores every candidate it is given.
      short.offer(dists, new Float32Array(b - a).fill(Infinity), a);
      return;
    }
    const rotated = encoded?.rabitq;
    if (!rotated) {
      for (let pos = a; pos < b; pos++) dists[pos - a] = this.distance(q, this.vectors, pos * dim, this.metric === 'l2');
      short.offer(dists, new Float32Array(b - a), a);
      return;
    }
    let query: RabitqQuery;
    let tables: FastScanTables;
    if (rotated.shared) {
      ({ query, tables } = rotated.shared);
      let constant = 0;
      for (let i = 0; i < dim; i++) constant += q[i] * this.centroids[l * dim + i];
      query.setConstant(constant);
    } else {
      const p = rotated.rq.length;
      const v = new Float64Array(p);
      let constant = 0;
      for (let i = 0; i < p; i++) {
        v[i] = rotated.rq[i] - this.rotatedCentroids[l * p + i];
        constant += v[i] * v[i];
      }
      query = new RabitqQuery(this.bits, v, constant, true);
      tables = new FastScanTables(query.s);
    }
    const planeBytes = rabitqCodeBytes(this.bits, dim) / this.bits;
    const blockBytes = this.bits * planeBytes * FASTSCAN_BLOCK;
    const bounds = new Float32Array(b - a);
    const dots = new Float64Array(FASTSCAN_BLOCK);
    const sums = new Uint32Array(FASTSCAN_BLOCK);
    for (let first = a; first < b; first += FASTSCAN_BLOCK) {
      tables.blockDots(this.bits, this.packed, (this.blocks[l] + (first - a) / FASTSCAN_BLOCK) * blockBytes, planeBytes * FASTSCAN_BLOCK, dots, sums);
      for (let j = 0; j < Math.min(FASTSCAN_BLOCK, b - first); j++) {
        dists[first - a + j] = query.finish(dots[j], this.params, first + j, DEFAULT_EPS0);
        bounds[first - a + j] = query.lastBound;
      }
    }
    short.offer(dists, bounds, a);
  }

  /** The file's arrays (IndexData's IVF fields and the shared ones). */
  parts(): Pick<IndexData, 'vectors' | 'codes' | 'scales' | 'centroids' | 'sizes' | 'ids'> {
    const sizes = new Uint32Array(this.nlist);
    for (let l = 0; l < this.nlist; l++) sizes[l] = this.offsets[l + 1] - this.offsets[l];
    return { vectors: this.vectors, codes: this.codes, scales: this.params, centroids: this.centroids, sizes, ids: this.ids };
  }

  /** Rebuilds an index from checked file data. */
  static fromData(d: IndexData): JsIvf {
    const index = new JsIvf(d.dim, d.metric, d.storage as IvfStorage, d.keepVectors, d.centroids!, (BigInt(d.seedHigh) << 32n) | BigInt(d.seedLow));
    for (let l = 0; l < index.nlist; l++) index.offsets[l + 1] = index.offsets[l] + d.sizes![l];
    [index.ids, index.vectors, index.codes, index.params] = [d.ids!, d.vectors, d.codes, d.scales];
    index.derive();
    return index;
  }
}
