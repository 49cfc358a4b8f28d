import { z } from 'zod';
import { UsageError } from './errors.js';
import { LIMITS, wholeNumber } from './limits.js';
import type { IndexType, Storage } from './index/format.js';
import { INDEX_TYPES, type IndexTypeEntry } from './index/registry.js';

/**
 * The one spec grammar of index configurations (as FAISS's index_factory strings), used by
 * `index build --spec`, `index info`, `vectro recall --configs` and the FAISS translator:
 * - `flat`: exact search;
 * - `hnsw` with `m=` (links per node; M in the paper), `efc=` (efConstruction),
 *   `storage=f32|int8|binary|rabitq1..8`, `keep=1` (also store the float32 vectors) and `rerank=N`
 *   (re-score the N best candidates exactly with the kept vectors; implies keep=1), e.g.
 *   `hnsw,m=16,efc=200,storage=int8,rerank=100`;
 * - `ivf` with `nlist=` (lists), `storage=f32|int8|rabitq1..8`, `keep=1` and `rerank=N`, swept over
 *   nprobe: `ivf,nlist=1024,storage=rabitq4,rerank=50`;
 * - `faiss:FACTORY[,efc=N][,refine=R]`: a FAISS index run by the FAISS peer.
 */
export interface IndexSpec {
  type: 'flat' | 'hnsw' | 'ivf' | 'faiss';
  /** ivf: lists (0 for the other types). */
  nlist?: number;
  m: number;
  efConstruction: number;
  storage: Storage;
  /** Whether the float32 vectors are stored beside the codes (always when rerank > 0). */
  keep: boolean;
  /** Candidates re-scored exactly at search time (0: none). */
  rerank: number;
  /** faiss: the index_factory string (`HNSW16`, `IVF1024,Flat`, `IVF1024,RaBitQfs4`). */
  factory?: string;
  /** faiss: re-score refine x k candidates exactly (IndexRefineFlat's k_factor); 0 for none. */
  refine?: number;
}

const faissKeys = z
  .object({
    efc: wholeNumber('efc', 1, LIMITS.ef).optional(),
    refine: wholeNumber('refine', 1, 1000).optional(),
  })
  .strict();

/**
 * `faiss:FACTORY[,efc=N][,refine=R]`: a FAISS index_factory string (its own commas included), then
 * vectro's keys, which are lower-case `key=value` pairs FAISS strings never contain.
 */
function parseFaiss(spec: string, fail: (why: string) => UsageError): IndexSpec {
  const parts = spec
    .slice('faiss:'.length)
    .split(',')
    .map((s) => s.trim());
  const keys = parts.filter((p) => /^[a-z]+=/.test(p));
  const factory = parts.filter((p) => !/^[a-z]+=/.test(p)).join(',');
  if (!factory || !/^[\w.(),]+$/.test(factory)) throw fail(`expected a FAISS factory string after 'faiss:' (e.g. faiss:HNSW16,efc=200 or faiss:IVF1024,Flat)`);
  const fields = Object.fromEntries(keys.map((k) => k.split('=')));
  if (keys.length !== Object.keys(fields).length) throw fail('a key is given twice');
  const parsed = faissKeys.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(issue.code === 'unrecognized_keys' ? `unknown parameter '${issue.keys[0]}' (faiss: takes efc and refine)` : issue.message);
  }
  return { type: 'faiss', m: 0, efConstruction: parsed.data.efc ?? 0, storage: 'f32', keep: false, rerank: 0, factory, refine: parsed.data.refine ?? 0 };
}

/** Parses one spec string; errors name the flag that gave it, the spec and what is wrong with it. */
export function parseSpec(spec: string, flag = '--configs'): IndexSpec {
  const fail = (why: string) => new UsageError(`${flag} '${spec}': ${why}`);
  if (spec.startsWith('faiss:')) return parseFaiss(spec, fail);
  const [type, ...pairs] = spec.split(',').map((s) => s.trim());
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, value, ...rest] = pair.split('=');
    if (!key || value === undefined || rest.length > 0 || value === '') throw fail(`expected key=value, got '${pair}'`);
    if (key in fields) throw fail(`${key} is given twice`);
    fields[key] = value;
  }
  const entry = (INDEX_TYPES as Record<string, IndexTypeEntry>)[type];
  if (!entry) throw fail(`unknown index type '${type}' (${Object.keys(INDEX_TYPES).join(', ')}, or faiss:FACTORY)`);
  const keys = entry.spec;
  if (!keys.takes && pairs.length > 0) throw fail(`${type} (exact search) takes no parameters`);
  if (keys.required && !(keys.required.key in fields)) throw fail(keys.required.message);
  const parsed = keys.schema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(issue.code === 'unrecognized_keys' ? `unknown parameter '${issue.keys[0]}' (${type} takes ${keys.takes})` : issue.message);
  }
  return { type: type as IndexType, ...keys.read(parsed.data) };
}

/** The canonical spec of a configuration: every parameter, in a fixed order (parses back to it). */
export function formatSpec(c: IndexSpec): string {
  if (c.type === 'faiss') return `faiss:${c.factory}${c.efConstruction ? `,efc=${c.efConstruction}` : ''}${c.refine ? `,refine=${c.refine}` : ''}`;
  const own = INDEX_TYPES[c.type].spec.write(c);
  if (own.length === 0) return c.type;
  // rerank implies keep: keep=1 is written only for a kept index without a rerank depth.
  const rerank = c.rerank > 0 ? [`rerank=${c.rerank}`] : c.keep ? ['keep=1'] : [];
  return [c.type, ...own, `storage=${c.storage}`, ...rerank].join(',');
}

/** The FAISS factory string that builds `c` on the FAISS peer (vectro's flat, hnsw and ivf over f32; faiss: as given). */
export function toFaissFactory(c: IndexSpec): string {
  return c.type === 'faiss' ? c.factory! : INDEX_TYPES[c.type].spec.faiss(c);
}

/** Exact search, then HNSW (hnswlib's M=16, efConstruction=200) on f32, int8 and binary codes. */
export const DEFAULT_CONFIGS = ['flat', 'hnsw,m=16,efc=200', 'hnsw,m=16,efc=200,storage=int8,rerank=20', 'hnsw,m=16,efc=200,storage=binary,rerank=500'];
