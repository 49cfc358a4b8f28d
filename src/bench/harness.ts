import { runTask } from '../tasks.js';
import type { BenchEvent, BenchPlan } from './plan.js';

/**
 * Runs a plan in a worker thread (src/tasks.ts) and hands its events to `onEvent` as they come.
 * Resolves `done`, or `interrupted` when `signal` aborts: the worker is terminated and what it
 * measured so far has already been handed over.
 */
export async function runPlan(plan: BenchPlan, onEvent: (event: BenchEvent) => void, signal: AbortSignal): Promise<'done' | 'interrupted'> {
  const r = await runTask<BenchEvent, null>('thread', new URL('./worker.js', import.meta.url), plan, onEvent, {
    signal,
    stopped: (code) => `the benchmark worker stopped before finishing (exit code ${code})`,
  });
  return r.outcome;
}
