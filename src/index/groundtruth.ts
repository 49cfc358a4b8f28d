import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { VectroError } from '../errors.js';
import type { VectorFormat } from '../formats/detect.js';

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

/** Messages from groundtruth-worker.ts. */
export type GroundTruthMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; result: GroundTruth }
  | { type: 'error'; message: string; exitCode: number };

/**
 * Exact k nearest base vectors of every query, computed in a worker thread so the caller's event
 * loop stays free (progress after each block of queries). Aborting `signal` stops the worker.
 */
export function computeGroundTruth(basePath: string, queriesPath: string, options: GroundTruthOptions): Promise<GroundTruth> {
  const { onProgress, signal, ...rest } = options;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./groundtruth-worker.js', import.meta.url), {
      workerData: { basePath, queriesPath, ...rest },
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      void worker.terminate();
      finish(() => reject(new VectroError('interrupted', 130)));
    };
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: GroundTruthMessage) => {
      if (m.type === 'progress') onProgress?.(m.done, m.total);
      else if (m.type === 'done') finish(() => resolve(m.result));
      else finish(() => reject(new VectroError(m.message, m.exitCode)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the ground-truth worker stopped early (exit code ${code})`))));
  });
}
