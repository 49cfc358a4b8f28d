import type { IndexMetricName } from '../distance/metrics.js';
import { LIMITS } from '../limits.js';
import { indexFileBytes, MAX_LEVEL, type IndexData, type Storage } from './format.js';
import { encodeGraph } from './graph-codec.js';
import { PairHeap } from './heap.js';
import { JsStore, type JsQuery } from './js-store.js';

/** Float32 row bytes from which inserts search the int8 guide: crates/vectro-core/src/hnsw/mod.rs's GUIDE_FROM_BYTES. */
export const GUIDE_FROM_BYTES = 16 * 2 ** 20;
/** A guided insert searches efConstruction * (1 + 1 / GUIDE_SLACK) candidates (the Rust GUIDE_SLACK). */
const GUIDE_SLACK = 8;

/** The arrays one after another, in one Uint32Array. */
function concat(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The TypeScript baseline of the HNSW index: the same algorithm as crates/vectro-core/src/hnsw/
 * (same parameters, heuristic, level generator: same seed, same levels; link lists in increasing
 * order), over typed arrays. float32 distances are summed in float64 here, so f32 graphs can differ
 * slightly from native ones; int8 and binary distances match exactly, and so do their graphs.
 */
export class JsHnsw {
  private readonly store: JsStore;
  private levels = new Uint8Array(0);
  private links0 = new Uint32Array(0);
  private upper: Uint32Array[] = [];
  private rows = 0;
  private entry = -1;
  private maxLevel = 0;
  private rng: bigint;
  private visited = new Uint32Array(0);
  private generation = 0;
  private readonly levelMult: number;
  private readonly candidates = new PairHeap(false);
  private readonly found = new PairHeap(true);
  /** The int8 guide (crates/vectro-core/src/hnsw/mod.rs): int8 codes of the rows, searched by inserts past `guideFrom` row bytes. */
  private guide: JsStore | undefined;
  private guideFrom = GUIDE_FROM_BYTES;

  constructor(
    readonly dim: number,
    readonly metric: IndexMetricName,
    readonly storage: Storage,
    readonly keepVectors: boolean,
    readonly m: number,
    readonly efConstruction: number,
    seed: bigint,
  ) {
    this.store = new JsStore(dim, metric, storage, keepVectors);
    if (!Number.isInteger(m) || m < 2 || m > 256)
      throw new RangeError(`M must be between 2 and 256 (with fewer than 2 links the graph degenerates into chains), got ${m}`);
    if (!Number.isInteger(efConstruction) || efConstruction < 1 || efConstruction > LIMITS.ef) {
      throw new RangeError(`efConstruction must be between 1 and ${LIMITS.ef}, got ${efConstruction}`);
    }
    this.rng = BigInt.asUintN(64, seed);
    this.levelMult = 1 / Math.log(m);
  }

  get count(): number {
    return this.rows;
  }

  private get slot0(): number {
    return 1 + 2 * this.m;
  }

  /** SplitMix64, as the Rust index: a level with P(level >= l) = M^-l. */
  private randomLevel(): number {
    const mask = (1n << 64n) - 1n;
    this.rng = (this.rng + 0x9e3779b97f4a7c15n) & mask;
    let z = this.rng;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    const uniform = (Number(z >> 11n) + 1) / 2 ** 53;
    return Math.min(Math.floor(-Math.log(uniform) * this.levelMult), MAX_LEVEL);
  }

  setCenter(center: Float32Array): void {
    this.store.setCenter(center);
  }

  setGuideFrom(bytes: number): void {
    this.guideFrom = bytes;
  }

  /** Whether node `id` is inserted by searching the int8 guide (as the Rust `Hnsw::guided`). */
  private guided(id: number): boolean {
    return this.store.buildRows !== undefined && (id + 1) * this.dim * 4 > this.guideFrom;
  }

  /** Brings the guide up to every node stored (cosine rows are unit vectors already: it measures them by `1 - a.b`). */
  private extendGuide(): void {
    const rows = this.store.buildRows!;
    this.guide ??= new JsStore(this.dim, this.metric === 'cosine' ? 'ip' : this.metric, 'int8', false);
    const have = this.guide.count;
    this.guide.reserve(this.store.count - have);
    for (let id = have; id < this.store.count; id++) this.guide.push(rows, id * this.dim);
  }

  private links(id: number, layer: number): Uint32Array {
    if (layer === 0) {
      const at = id * this.slot0;
      return this.links0.subarray(at + 1, at + 1 + this.links0[at]);
    }
    const s = this.upper[id];
    const at = (layer - 1) * (1 + this.m);
    return s.subarray(at + 1, at + 1 + s[at]);
  }

  /** Sets a link list (ids in increasing order). */
  private setLinks(id: number, layer: number, ids: ArrayLike<number>): void {
    const [arr, at] = layer === 0 ? [this.links0, id * this.slot0] : [this.upper[id], (layer - 1) * (1 + this.m)];
    arr[at] = ids.length;
    for (let i = 0; i < ids.length; i++) arr[at + 1 + i] = ids[i];
  }

  private grow(extra: number): void {
    const need = this.rows + extra;
    this.store.reserve(extra);
    if (need <= this.levels.length) return;
    const cap = Math.max(need, this.rows * 2, 16);
    const l = new Uint8Array(cap);
    l.set(this.levels.subarray(0, this.rows));
    this.levels = l;
    const k = new Uint32Array(cap * this.slot0);
    k.set(this.links0.subarray(0, this.rows * this.slot0));
    this.links0 = k;
    const vis = new Uint32Array(cap);
    vis.set(this.visited);
    this.visited = vis;
  }

  private greedy(store: JsStore, q: JsQuery, best: { d: number; id: number }, layer: number, count: { n: number }) {
    for (let moved = true; moved; ) {
      moved = false;
      for (const n of this.links(best.id, layer)) {
        const d = store.distance(q, n);
        count.n++;
        if (d < best.d) {
          best = { d, id: n };
          moved = true;
        }
      }
    }
    return best;
  }

  /** Best-first search of one layer with `ef` candidates; returns them, nearest first. */
  private searchLayer(store: JsStore, q: JsQuery, entry: { d: number; id: number }, ef: number, layer: number, count: { n: number }) {
    if (++this.generation === 0xffffffff) {
      this.visited.fill(0);
      this.generation = 1;
    }
    const gen = this.generation;
    const { candidates, found } = this;
    candidates.clear();
    found.clear();
    this.visited[entry.id] = gen;
    candidates.push(entry.d, entry.id);
    found.push(entry.d, entry.id);
    while (candidates.size > 0) {
      const cd = candidates.topDistance();
      const cid = candidates.topId();
      candidates.pop();
      if (cd > found.topDistance() && found.size >= ef) break;
      for (const n of this.links(cid, layer)) {
        if (this.visited[n] === gen) continue;
        this.visited[n] = gen;
        const d = store.distance(q, n);
        count.n++;
        if (found.size < ef || d < found.topDistance()) {
          candidates.push(d, n);
          found.push(d, n);
          if (found.size > ef) found.pop();
        }
      }
    }
    return found.drainSorted();
  }

  /** The paper's heuristic, up to `limit`; returns the kept ids in increasing order. */
  private select(candidates: { d: number; id: number }[], limit: number): number[] {
    candidates.sort((a, b) => a.d - b.d || a.id - b.id);
    let kept: number[];
    if (candidates.length <= limit) kept = candidates.map((c) => c.id);
    else {
      kept = [];
      for (const c of candidates) {
        if (kept.length >= limit) break;
        const cq = this.store.node(c.id);
        if (kept.every((k) => this.store.distance(cq, k) >= c.d)) kept.push(c.id);
      }
    }
    return kept.sort((a, b) => a - b);
  }

  add(x: Float32Array): void {
    const n = x.length / this.dim;
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new RangeError('vectors hold NaN or infinite values');
    if ((this.storage === 'binary' || this.storage.startsWith('rabitq')) && this.store.center.length === 0)
      throw new RangeError(`${this.storage} storage needs its center before vectors are added`);
    this.grow(n);
    for (let r = 0; r < n; r++) {
      this.store.push(x, r * this.dim);
      if (this.guided(this.rows)) this.extendGuide();
      this.insert();
    }
  }

  private insert(): void {
    const id = this.rows++;
    const level = this.randomLevel();
    this.levels[id] = level;
    this.upper[id] = new Uint32Array(level * (1 + this.m));
    if (this.entry < 0) {
      this.entry = id;
      this.maxLevel = level;
      return;
    }
    const count = { n: 0 };
    const guided = this.guided(id);
    const steer = guided ? this.guide! : this.store;
    const q = steer.node(id);
    let ep = { d: steer.distance(q, this.entry), id: this.entry };
    for (let layer = this.maxLevel; layer > level; layer--) ep = this.greedy(steer, q, ep, layer, count);
    const exact = guided ? this.store.node(id) : q;
    for (let layer = Math.min(level, this.maxLevel); layer >= 0; layer--) {
      const efc = this.efConstruction;
      const found = this.searchLayer(steer, q, ep, guided ? efc + Math.floor(efc / GUIDE_SLACK) : efc, layer, count);
      ep = found[0];
      // Guided: neighbours are chosen on exact distances, among the efConstruction candidates
      // nearest by exact distance of those the guide found.
      const scored = guided
        ? found
            .map((c) => ({ d: this.store.distance(exact, c.id), id: c.id }))
            .sort((a, b) => a.d - b.d || a.id - b.id)
            .slice(0, efc)
        : found;
      const neighbours = this.select(scored, this.m);
      this.setLinks(id, layer, neighbours);
      const cap = layer === 0 ? 2 * this.m : this.m;
      for (const n of neighbours) {
        const links = Array.from(this.links(n, layer));
        if (links.includes(id)) continue;
        if (links.length < cap) {
          links.splice(links.filter((l) => l < id).length, 0, id);
          this.setLinks(n, layer, links);
        } else {
          const nq = this.store.node(n);
          this.setLinks(
            n,
            layer,
            this.select(
              [...links, id].map((l) => ({ d: this.store.distance(nq, l), id: l })),
              cap,
            ),
          );
        }
      }
    }
    if (level > this.maxLevel) {
      this.maxLevel = level;
      this.entry = id;
    }
  }

  /** k nearest of each query (see the Rust `search` for `rerank`); returns the distance computations made. */
  search(queries: Float32Array, k: number, ef: number, rerank: number, ids: Uint32Array, dists: Float32Array): number {
    if (rerank > 0 && (rerank < k || !this.store.hasVectors))
      throw new RangeError('rerank needs at least k candidates and an index that keeps its float32 vectors');
    const m = queries.length / this.dim;
    let total = 0;
    const prepared = new Float32Array(this.dim);
    for (let r = 0; r < m; r++) {
      let found: { d: number; id: number }[] = [];
      if (this.entry >= 0) {
        const q = this.store.encode(queries, r * this.dim);
        const count = { n: 1 };
        let ep = { d: this.store.distance(q, this.entry), id: this.entry };
        for (let layer = this.maxLevel; layer >= 1; layer--) ep = this.greedy(this.store, q, ep, layer, count);
        found = this.searchLayer(this.store, q, ep, Math.max(ef, k, rerank), 0, count);
        if (rerank > 0) {
          found = found.slice(0, rerank);
          this.store.prepare(queries, r * this.dim, prepared, 0);
          if (q.rabitq) found = this.rerankWithinBounds(q, prepared, found, k, count);
          else {
            for (const c of found) c.d = this.store.exact(prepared, c.id);
            count.n += found.length;
            found.sort((a, b) => a.d - b.d || a.id - b.id);
          }
        }
        total += count.n;
      }
      for (let j = 0; j < k; j++) {
        ids[r * k + j] = j < found.length ? found[j].id : 0xffffffff;
        dists[r * k + j] = j < found.length ? found[j].d : Infinity;
      }
    }
    return total;
  }

  /** RaBitQ's rule, as the Rust index applies it: re-score a candidate only while its lower bound can beat the k-th exact distance. */
  private rerankWithinBounds(q: JsQuery, prepared: Float32Array, found: { d: number; id: number }[], k: number, count: { n: number }) {
    const best: { d: number; id: number }[] = [];
    const worse = (a: { d: number; id: number }, b: { d: number; id: number }) => a.d - b.d || a.id - b.id;
    for (const c of found) {
      if (best.length === k && Math.fround(c.d - this.store.bound(q, c.id)) >= best[k - 1].d) continue;
      best.push({ d: this.store.exact(prepared, c.id), id: c.id });
      count.n++;
      best.sort(worse);
      if (best.length > k) best.pop();
    }
    return best;
  }

  fileBytes(): number {
    const d = this.toData();
    return indexFileBytes(d, encodeGraph(d).length);
  }

  toData(): IndexData {
    return {
      type: 'hnsw',
      metric: this.metric,
      storage: this.storage,
      keepVectors: this.keepVectors,
      dim: this.dim,
      count: this.rows,
      m: this.m,
      efConstruction: this.efConstruction,
      maxLevel: this.maxLevel,
      entry: this.entry,
      seedHigh: Number(this.rng >> 32n),
      seedLow: Number(this.rng & 0xffffffffn),
      ...this.store.parts(),
      levels: this.levels.slice(0, this.rows),
      links0: this.links0.slice(0, this.rows * this.slot0),
      upper: concat(this.upper.slice(0, this.rows)),
    };
  }

  /** Rebuilds an index from file data, checking what the Rust `from_parts` checks. */
  static fromData(d: IndexData): JsHnsw {
    const h = new JsHnsw(d.dim, d.metric, d.storage, d.keepVectors, d.m, d.efConstruction, (BigInt(d.seedHigh) << 32n) | BigInt(d.seedLow));
    const n = d.count;
    const slot0 = 1 + 2 * d.m;
    if (d.levels.length !== n || d.links0.length !== n * slot0) throw new RangeError('index arrays do not match the header');
    const upperLen = d.levels.reduce((s, l) => s + l * (1 + d.m), 0);
    if (d.upper.length !== upperLen) throw new RangeError(`upper layers hold ${d.upper.length} slots, the levels need ${upperLen}`);
    const top = d.levels.reduce((a, b) => Math.max(a, b), 0);
    if (top > MAX_LEVEL) throw new RangeError(`a level of ${top} is beyond the maximum ${MAX_LEVEL}`);
    if (n > 0 && (d.entry < 0 || d.entry >= n || d.levels[d.entry] !== top)) throw new RangeError(`entry point ${d.entry} is not a node of the top level`);
    const check = (slot: Uint32Array, cap: number, node: number, layer: number) => {
      if (slot[0] > cap) throw new RangeError(`node ${node} has ${slot[0]} links on layer ${layer}, at most ${cap}`);
      for (let i = 1; i <= slot[0]; i++) {
        const id = slot[i];
        if (id >= n || (layer > 0 && d.levels[id] < layer)) throw new RangeError(`node ${node} links to ${id} on layer ${layer}, which is not a node there`);
        if (i > 1 && id <= slot[i - 1]) throw new RangeError(`the links of node ${node} on layer ${layer} are not in increasing order`);
      }
    };
    let at = 0;
    h.grow(n);
    for (let node = 0; node < n; node++) {
      check(d.links0.subarray(node * slot0, (node + 1) * slot0), 2 * d.m, node, 0);
      const own = d.upper.slice(at, at + d.levels[node] * (1 + d.m));
      for (let layer = 1; layer <= d.levels[node]; layer++) check(own.subarray((layer - 1) * (1 + d.m), layer * (1 + d.m)), d.m, node, layer);
      h.upper[node] = own;
      at += own.length;
    }
    h.store.load(n, d);
    h.levels.set(d.levels);
    h.links0.set(d.links0);
    h.rows = n;
    h.entry = d.entry;
    h.maxLevel = top;
    return h;
  }
}
