import type { IndexMetricName } from '../distance/metrics.js';
import { savedBytes, withScratchFile } from './scratch-file.js';

/** The parts of usearch 2.25's Node module that vectro uses. */
export interface UsearchModule {
  Index: new (config: UsearchConfig) => UsearchNative;
}

interface UsearchConfig {
  metric: 'l2sq' | 'ip' | 'cos';
  connectivity: number;
  dimensions: number;
  expansion_add: number;
  expansion_search: number;
}

interface UsearchNative {
  add(keys: BigUint64Array, vectors: Float32Array, threads: number): void;
  search(queries: Float32Array, k: number, threads: number): { keys: BigUint64Array };
  save(path: string): void;
  load(path: string): void;
}

const METRICS: Record<IndexMetricName, UsearchConfig['metric']> = { l2: 'l2sq', ip: 'ip', cosine: 'cos' };

export interface UsearchParams {
  dim: number;
  metric: IndexMetricName;
  m: number;
  efConstruction: number;
  threads: number;
}

/**
 * usearch's HNSW (`Index`, float32), built and searched the way its users do: BigInt keys, one
 * `add` call on `threads` threads. usearch fixes the search width (`expansion_search`) when an
 * `Index` is made and keeps no setter in its Node API, but `load` does not read it from the file:
 * so `setEf` saves the index and loads it into a new `Index` made with the new width. That happens
 * between timed passes, and the graph searched is the one built.
 */
export class UsearchHnsw {
  private ef = 64;

  private constructor(
    private readonly module: UsearchModule,
    private readonly config: UsearchConfig,
    private index: UsearchNative,
  ) {}

  static build(module: UsearchModule, base: Float32Array, p: UsearchParams): UsearchHnsw {
    const config: UsearchConfig = { metric: METRICS[p.metric], connectivity: p.m, dimensions: p.dim, expansion_add: p.efConstruction, expansion_search: 64 };
    const index = new module.Index(config);
    const n = base.length / p.dim;
    index.add(
      BigUint64Array.from({ length: n }, (_, i) => BigInt(i)),
      base,
      p.threads,
    );
    return new UsearchHnsw(module, config, index);
  }

  /** Sets the search width (a save and a load into a new `Index`, when it changes). */
  setEf(ef: number): void {
    if (ef === this.ef) return;
    this.index = withScratchFile((path) => {
      this.index.save(path);
      const next = new this.module.Index({ ...this.config, expansion_search: ef });
      next.load(path);
      return next;
    });
    this.ef = ef;
  }

  /** The `k` nearest ids of each of the `queries` (one row: one query), into `ids`. */
  search(queries: Float32Array, k: number, threads: number, ids: Uint32Array): void {
    const keys = this.index.search(queries, k, threads).keys;
    for (let j = 0; j < ids.length; j++) ids[j] = Number(keys[j]);
  }

  /** Bytes of the index as `save` writes it. */
  bytes(): Promise<number> {
    return savedBytes((path) => this.index.save(path));
  }
}
