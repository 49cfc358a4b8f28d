import { z } from 'zod';
import { UsageError } from '../errors.js';
import { LIMITS, wholeNumber } from '../limits.js';
import { STORAGES, type Storage } from '../index/format.js';

/**
 * One index configuration of a recall run, written as a spec string (as FAISS's index_factory):
 * `flat`, or `hnsw` with `m=` (links per node; M in the paper), `efc=` (efConstruction),
 * `storage=f32|int8|binary` and `rerank=N` (int8/binary: keep the float32 vectors and re-score the
 * N best candidates exactly). E.g. `hnsw,m=16,efc=200,storage=int8,rerank=100`.
 */
export interface IndexConfig {
  type: 'flat' | 'hnsw';
  m: number;
  efConstruction: number;
  storage: Storage;
  rerank: number;
}

const STORAGE_NAMES = Object.keys(STORAGES) as [Storage, ...Storage[]];

const hnswKeys = z
  .object({
    m: wholeNumber('m', 2, LIMITS.m).default(16),
    efc: wholeNumber('efc', 1, LIMITS.ef).default(200),
    storage: z.enum(STORAGE_NAMES, { error: (i) => `storage: expected one of ${STORAGE_NAMES.join(', ')}, got '${String(i.input)}'` }).default('f32'),
    rerank: wholeNumber('rerank', 0, LIMITS.rerank).default(0),
  })
  .strict()
  .refine((o) => !(o.storage === 'f32' && o.rerank > 0), { error: 'rerank: only int8 and binary storage rerank (f32 distances are already exact)' });

/** Parses one spec string; errors name the spec and what is wrong with it. */
export function parseConfig(spec: string): IndexConfig {
  const [type, ...pairs] = spec.split(',').map((s) => s.trim());
  const fail = (why: string) => new UsageError(`--configs '${spec}': ${why}`);
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, value, ...rest] = pair.split('=');
    if (!key || value === undefined || rest.length > 0 || value === '') throw fail(`expected key=value, got '${pair}'`);
    if (key in fields) throw fail(`${key} is given twice`);
    fields[key] = value;
  }
  if (type === 'flat') {
    if (pairs.length > 0) throw fail('flat (exact search) takes no parameters');
    return { type: 'flat', m: 0, efConstruction: 0, storage: 'f32', rerank: 0 };
  }
  if (type !== 'hnsw') throw fail(`unknown index type '${type}' (flat or hnsw)`);
  const parsed = hnswKeys.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(issue.code === 'unrecognized_keys' ? `unknown parameter '${issue.keys[0]}' (hnsw takes m, efc, storage, rerank)` : issue.message);
  }
  const o = parsed.data;
  return { type: 'hnsw', m: o.m, efConstruction: o.efc, storage: o.storage, rerank: o.rerank };
}

/** The canonical spec of a configuration: every parameter, in a fixed order (parses back to it). */
export function formatConfig(c: IndexConfig): string {
  if (c.type === 'flat') return 'flat';
  return `hnsw,m=${c.m},efc=${c.efConstruction},storage=${c.storage}${c.rerank > 0 ? `,rerank=${c.rerank}` : ''}`;
}

/** Exact search, then HNSW (hnswlib's M=16, efConstruction=200) on f32, int8 and binary codes. */
export const DEFAULT_CONFIGS = ['flat', 'hnsw,m=16,efc=200', 'hnsw,m=16,efc=200,storage=int8,rerank=20', 'hnsw,m=16,efc=200,storage=binary,rerank=500'];
