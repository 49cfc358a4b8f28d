import type { BenchResult } from './schema.js';
import type { RunLimits } from './runner.js';
import type { SuiteOptions } from './suite.js';

/** What the main thread asks the bench worker to measure. */
export interface BenchPlan {
  suites: string[];
  /** native, js, and for the index suites any installed peer (hnswlib, usearch). */
  backends: string[];
  options: SuiteOptions;
  limits: RunLimits;
  peakGflops: number | null;
}

/** What the worker reports back, as it goes. */
export type BenchEvent =
  | { type: 'case'; suite: string; case: string; backend: string; index: number; total: number }
  | { type: 'result'; result: BenchResult }
  | { type: 'suite-done'; suite: string }
  /** A peer in another process (FAISS) failed on a case: that result is missing, the run goes on. */
  | { type: 'skip'; suite: string; case: string; backend: string; reason: string };
