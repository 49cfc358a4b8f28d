import { z } from 'zod';
import type { BackendChoice } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { FlatIndex } from './flat.js';
import { LIMITS, wholeNumber } from '../limits.js';
import { STORAGES, type IndexData, type IndexType, type Storage } from './format.js';
import { HnswIndex } from './hnsw.js';
import { IVF_STORAGES, IvfIndex, type IvfStorage } from './ivf.js';
import type { AsyncAddOptions, VectorIndex } from './types.js';

/**
 * The registry of index types: one entry per type says how the spec grammar names its parameters
 * (its keys, their schema, their canonical form, its FAISS factory string), how to make one, how to
 * rebuild one from a checked file, and which search parameter a sweep varies. Code above the index
 * modules (the spec grammar, loading, the contenders of recall and bench) goes through it instead
 * of naming a type. Still to come (issue 26, step 2): the file sections as entries, the build
 * worker, and the same registry on the Rust side.
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

/** A spec's parameters of an index: what `IndexParams` says, and the search-time rerank depth. */
export type SpecParams = IndexParams & { rerank: number };

/** How the spec grammar (src/spec.ts) names a type's parameters. */
export interface SpecKeys {
  /** The keys, for messages (empty: the type takes none). */
  takes: string;
  /** A key a spec must give, and what to say when it does not. */
  required?: { key: string; message: string };
  schema: z.ZodType<Record<string, string | number>>;
  /** The parsed keys as parameters. */
  read(o: Record<string, string | number>): SpecParams;
  /** The type's own keys, canonically (spec.ts writes storage, keep and rerank after them). */
  write(p: SpecParams): string[];
  /** The FAISS factory string of this type over float32, for the FAISS peer. */
  faiss(p: SpecParams): string;
}

export interface IndexTypeEntry {
  /** The search parameter a sweep varies (`vectro recall --ef` or `--nprobe`), or none for exact search. */
  sweep: 'ef' | 'nprobe' | undefined;
  spec: SpecKeys;
  create(p: IndexParams, c: IndexContext): BuildableIndex;
  fromData(d: IndexData, backend: BackendChoice): VectorIndex;
}

const STORAGE_NAMES = Object.keys(STORAGES) as [Storage, ...Storage[]];

/** The keys of an index over coded storage: storage, keep and rerank, and the rules between them. */
function codedKeys<S extends readonly [string, ...string[]]>(storages: S, unknownStorage: (got: string) => string) {
  return {
    storage: z.enum(storages, { error: (i) => unknownStorage(String(i.input)) }).default('f32' as S[number]),
    keep: wholeNumber('keep', 0, 1).default(0),
    rerank: wholeNumber('rerank', 0, LIMITS.rerank).default(0),
  };
}

/** f32 storage neither keeps a second copy of its vectors nor reranks: its distances are exact. `coded` names the storages that do. */
const codedRules = (coded: string) => (o: { storage: string; keep: number; rerank: number }, ctx: z.RefinementCtx) => {
  if (o.storage === 'f32' && o.rerank > 0) ctx.addIssue({ code: 'custom', message: `rerank: only ${coded} storage rerank (f32 distances are already exact)` });
  else if (o.storage === 'f32' && o.keep > 0) ctx.addIssue({ code: 'custom', message: 'keep: an f32 index holds its vectors already' });
};

const hnswKeys = z
  .object({
    m: wholeNumber('m', 2, LIMITS.m).default(16),
    efc: wholeNumber('efc', 1, LIMITS.ef).default(200),
    ...codedKeys(STORAGE_NAMES, (got) => `storage: expected one of ${STORAGE_NAMES.join(', ')}, got '${got}'`),
  })
  .strict()
  .superRefine(codedRules('int8, binary and rabitq'));

const ivfKeys = z
  .object({
    nlist: wholeNumber('nlist', 1, 1 << 24),
    ...codedKeys(IVF_STORAGES, (got) => `storage: an ivf index stores ${IVF_STORAGES.join(', ')}, got '${got}'`),
  })
  .strict()
  .superRefine(codedRules('int8 and rabitq'));

/** Coded storage keeps its vectors when it reranks. */
const coded = (o: Record<string, string | number>) => ({
  storage: o.storage as Storage,
  keep: o.keep === 1 || (o.rerank as number) > 0,
  rerank: o.rerank as number,
});

export const INDEX_TYPES: Record<IndexType, IndexTypeEntry> = {
  flat: {
    sweep: undefined,
    spec: {
      takes: '',
      schema: z.object({}).strict(),
      read: () => ({ m: 0, efConstruction: 0, storage: 'f32', keep: false, rerank: 0 }),
      write: () => [],
      faiss: () => 'Flat',
    },
    create: (_p, c) => FlatIndex.create(c),
    fromData: (d, backend) => FlatIndex.fromData(d, backend),
  },
  hnsw: {
    sweep: 'ef',
    spec: {
      takes: 'm, efc, storage, keep, rerank',
      schema: hnswKeys,
      read: (o) => ({ m: o.m as number, efConstruction: o.efc as number, ...coded(o) }),
      write: (p) => [`m=${p.m}`, `efc=${p.efConstruction}`],
      faiss: (p) => `HNSW${p.m}`,
    },
    create: (p, c) => HnswIndex.create({ ...c, m: p.m, efConstruction: p.efConstruction, storage: p.storage, keepVectors: p.keep }),
    fromData: (d, backend) => HnswIndex.fromData(d, backend),
  },
  ivf: {
    sweep: 'nprobe',
    spec: {
      takes: 'nlist, storage, keep, rerank',
      required: { key: 'nlist', message: 'ivf needs nlist=N (the number of lists, e.g. ivf,nlist=1024)' },
      schema: ivfKeys,
      read: (o) => ({ m: 0, efConstruction: 0, nlist: o.nlist as number, ...coded(o) }),
      write: (p) => [`nlist=${p.nlist}`],
      faiss: (p) => `IVF${p.nlist},Flat`,
    },
    create: (p, c) => {
      if (p.nlist === undefined) throw new RangeError('an ivf index needs nlist');
      return IvfIndex.create({ ...c, nlist: p.nlist, storage: p.storage as IvfStorage, keepVectors: p.keep });
    },
    fromData: (d, backend) => IvfIndex.fromData(d, backend),
  },
};
