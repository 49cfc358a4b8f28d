import { Worker } from 'node:worker_threads';
import type { BenchEvent, BenchPlan } from './plan.js';

/**
 * Runs a plan in a worker thread and hands its events to `onEvent` as they come. Resolves `done`,
 * or `interrupted` when `signal` aborts: the worker is terminated and what it measured so far has
 * already been handed over.
 */
export function runPlan(plan: BenchPlan, onEvent: (event: BenchEvent) => void, signal: AbortSignal): Promise<'done' | 'interrupted'> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: plan });
    let settled = false;
    const settle = (outcome: 'done' | 'interrupted' | Error) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    let aborting = false;
    const onAbort = () => {
      aborting = true;
      void worker.terminate();
    };
    signal.addEventListener('abort', onAbort);
    worker.on('message', (event: BenchEvent) => {
      if (settled) return;
      onEvent(event);
      if (event.type === 'done') settle('done'); // the worker exits by itself
    });
    worker.on('error', (err) => settle(err));
    // An exit before `done` is an interruption when we asked for it, and a failure otherwise.
    worker.on('exit', (code) => settle(aborting ? 'interrupted' : new Error(`the benchmark worker stopped before finishing (exit code ${code})`)));
  });
}
