import type { Dataset } from '../datasets/resolve.js';
import type { RecallBackend } from '../evaluation/contenders.js';
import type { BuildResult, PointResult } from './schema.js';
import type { IndexSpec } from '../spec.js';

/** What the parent sends a recall child: one configuration on one backend, and the data to judge it. */
export interface RecallJob {
  dataset: Dataset;
  config: IndexSpec;
  configLabel: string;
  backend: RecallBackend;
  k: number;
  efs: number[];
  /** IVF configurations: the nprobe values to sweep (those above nlist are skipped). */
  nprobes: number[];
  threads: number;
  seed: number;
  queries: Float32Array;
  queryCount: number;
  truth: Int32Array;
  truthWidth: number;
}

/** What a recall child sends back, in order: progress, its build, a point per ef, then done (or error). */
export type WorkerEvent =
  | { type: 'stage'; stage: string }
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'build'; build: BuildResult }
  | { type: 'point'; point: PointResult };
