import { Worker } from 'node:worker_threads';
import { InterruptedError, VectroError } from '../errors.js';
import { signalExitCode } from '../signals.js';

/** What an index worker sends: progress, its result, or the error that stopped it. */
export type WorkerMessage<T> =
  | { type: 'progress'; done: number; total: number; stage?: string }
  | { type: 'done'; result: T }
  | { type: 'error'; message: string; exitCode: number };

/**
 * Runs `script` (a worker module next to this one) with `data`, reporting progress, and resolves
 * its result. Errors keep their exit codes; aborting `signal` terminates the worker.
 */
export function runWorker<T>(
  script: string,
  data: unknown,
  onProgress?: (done: number, total: number, stage?: string) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(script, import.meta.url), { workerData: data });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      void worker.terminate();
      finish(() => reject(new InterruptedError(signalExitCode(String(signal!.reason)))));
    };
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: WorkerMessage<T>) => {
      if (m.type === 'progress') onProgress?.(m.done, m.total, m.stage);
      else if (m.type === 'done') finish(() => resolve(m.result));
      else finish(() => reject(new VectroError(m.message, m.exitCode)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the worker stopped early (exit code ${code})`))));
  });
}

/** The worker side: runs `work` and posts its result (with `transfer`) or its error. */
export async function serveWorker<T>(
  post: (m: WorkerMessage<T>, transfer?: ArrayBuffer[]) => void,
  work: (progress: (done: number, total: number, stage?: string) => void) => Promise<{ result: T; transfer?: ArrayBuffer[] }>,
): Promise<void> {
  try {
    const { result, transfer } = await work((done, total, stage) => post({ type: 'progress', done, total, stage }));
    post({ type: 'done', result }, transfer);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err), exitCode: err instanceof VectroError ? err.exitCode : 1 });
  }
}
