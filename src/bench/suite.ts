import type { Backend } from '../backends/backend.js';
import type { Unit } from './schema.js';
import { seeded } from '../random.js';

export { seeded };

export type SizeClass = 'quick' | 'default' | 'full';

export interface SuiteOptions {
  size: SizeClass;
  /** Overrides of the suites' dimensions and counts (`--dim`, `--count`). */
  dim?: number;
  count?: number;
  /** Threads for the cases that spread work (`--threads`). */
  threads: number;
  seed: number;
}

/**
 * What a run returns: anything (the harness times it; kernels return their own results), or
 * `{ ownSeconds }`, the time a peer in another process measured around its own calls.
 */
export type RunOutcome = unknown;

/** A run's result when the contender timed itself. */
export interface SelfTimed {
  ownSeconds: number;
}

export const isSelfTimed = (r: unknown): r is SelfTimed => typeof r === 'object' && r !== null && typeof (r as SelfTimed).ownSeconds === 'number';

/** One measured case: what it is, how much work a run does, and how to run it. */
export interface BenchCase {
  /** Stable, readable name: `int8.encode 10000x128`. */
  name: string;
  unit: Unit;
  /** Units of work per run, in the unit's scale (vectors, pairs, GFLOP, scores). */
  work: number;
  /** Input bytes read per run, for memory-bound cases (reported as GB/s). */
  bytes?: number;
  /** Threads the native backend uses (js always runs on one). */
  threads?: number;
  /** FLOP per run, for cases reported against the core's peak. */
  flop?: number;
  /** Backends that run it (default: native and js); a case too slow for js at some size says so. */
  backends?: readonly string[];
  /** Exactly this many timed runs and no warm-up (cases that take seconds, like index builds). */
  runs?: number;
  /** Creates the case's data (shared by the backends) and returns one run on a kernel backend... */
  setup?(): (backend: Backend) => void;
  /** ...or one run by contender name (native, js, hnswlib, usearch), for index suites. */
  setupTarget?(): (target: string) => RunOutcome | Promise<RunOutcome>;
  /** Fields to add to a target's result once it is measured (recall, ef, index bytes). */
  extra?(target: string): Promise<Record<string, number>> | Record<string, number>;
}

/** A suite declares its cases as data, so new suites plug in the same way. */
export interface Suite {
  name: string;
  description: string;
  cases(options: SuiteOptions): BenchCase[];
}

/** SIFT-like float32 data: whole numbers 0..255, a little clustered. */
export function siftLike(count: number, dim: number, seed: number): Float32Array {
  const next = seeded(seed);
  const x = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    const center = next() * 128;
    for (let i = r * dim; i < (r + 1) * dim; i++) x[i] = Math.floor(Math.min(255, center + next() * 128));
  }
  return x;
}

export function randomBytes(n: number, seed: number): Uint8Array {
  const next = seeded(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/**
 * Keeps the most recent data sets by key, so the cases of one size share their inputs without the
 * suite holding every size in memory at once.
 */
export class DataCache {
  private entries = new Map<string, unknown>();

  constructor(private readonly keep = 2) {}

  get<T>(key: string, make: () => T): T {
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = make();
    this.entries.set(key, value);
    while (this.entries.size > this.keep) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}
