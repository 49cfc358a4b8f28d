import type { BackendChoice } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { FlatIndex } from './flat.js';
import type { IndexData, IndexType, Storage } from './format.js';
import { HnswIndex } from './hnsw.js';
import { IvfIndex, type IvfStorage } from './ivf.js';
import type { AsyncAddOptions, VectorIndex } from './types.js';

/**
 * The registry of index types: one entry per type says how to make one from a spec's parameters,
 * how to rebuild one from a checked file, and which search parameter a sweep varies. Code above
 * the index modules (loading, the contenders of recall and bench) goes through it instead of
 * naming a type. Still to come (issue 26, step 2): the spec keys and the file sections as entries
 * of their own, and the same registry on the Rust side.
 */
export interface IndexParams {
  /** hnsw: links per node and efConstruction. */
  m: number;
  efConstruction: number;
  /** ivf: lists. */
  nlist?: number;
  storage: Storage;
  /** Keep the float32 vectors beside the codes. */
  keep: boolean;
}

/** What every new index needs besides its parameters. */
export interface IndexContext {
  dim: number;
  metric: IndexMetricName;
  seed: number;
  backend: BackendChoice;
}

/** An index being built: `addAsync` where the type has it (progress, and off the event loop). */
export type BuildableIndex = VectorIndex & { addAsync?(x: Float32Array, options: AsyncAddOptions): Promise<void> };

export interface IndexTypeEntry {
  /** The search parameter a sweep varies (`vectro recall --ef` or `--nprobe`), or none for exact search. */
  sweep: 'ef' | 'nprobe' | undefined;
  create(p: IndexParams, c: IndexContext): BuildableIndex;
  fromData(d: IndexData, backend: BackendChoice): VectorIndex;
}

export const INDEX_TYPES: Record<IndexType, IndexTypeEntry> = {
  flat: {
    sweep: undefined,
    create: (_p, c) => FlatIndex.create(c),
    fromData: (d, backend) => FlatIndex.fromData(d, backend),
  },
  hnsw: {
    sweep: 'ef',
    create: (p, c) => HnswIndex.create({ ...c, m: p.m, efConstruction: p.efConstruction, storage: p.storage, keepVectors: p.keep }),
    fromData: (d, backend) => HnswIndex.fromData(d, backend),
  },
  ivf: {
    sweep: 'nprobe',
    create: (p, c) => {
      if (p.nlist === undefined) throw new RangeError('an ivf index needs nlist');
      return IvfIndex.create({ ...c, nlist: p.nlist, storage: p.storage as IvfStorage, keepVectors: p.keep });
    },
    fromData: (d, backend) => IvfIndex.fromData(d, backend),
  },
};
