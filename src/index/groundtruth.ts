import type { BackendChoice } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import type { VectorFormat } from '../formats/detect.js';
import { runWorker } from '../tasks.js';

export interface GroundTruthOptions {
  metric: IndexMetricName;
  k: number;
  backend: BackendChoice;
  threads: number;
  baseFormat?: VectorFormat;
  queriesFormat?: VectorFormat;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface GroundTruth {
  ids: Uint32Array;
  dists: Float32Array;
  queries: number;
  base: number;
  dim: number;
  backend: string;
}

/**
 * Exact k nearest base vectors of every query, computed in a worker thread so the caller's event
 * loop stays free (progress after each block of queries). Aborting `signal` stops the worker.
 */
export function computeGroundTruth(basePath: string, queriesPath: string, options: GroundTruthOptions): Promise<GroundTruth> {
  const { onProgress, signal, ...rest } = options;
  return runWorker<GroundTruth>(new URL('./groundtruth-worker.js', import.meta.url), { basePath, queriesPath, ...rest }, onProgress, signal);
}
