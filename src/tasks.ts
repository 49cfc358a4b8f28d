import { fork, type Serializable } from 'node:child_process';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { AnswerError, InterruptedError, VectroError } from './errors.js';
import { signalExitCode } from './signals.js';

/**
 * The one runner of vectro's off-thread work: a task is a module run in a worker thread (index
 * builds and searches, ground truth, difficulty, the bench plan) or in a child process of its own
 * (a recall configuration, for an honest peak-memory figure). Either way it reads its input, sends
 * events as it goes, then its result or its error; the runner settles once, and an abort (Ctrl-C)
 * stops the task at any point.
 */
export type TaskMessage<E, R> =
  | { type: 'event'; event: E }
  | { type: 'done'; result: R }
  | { type: 'error'; message: string; exitCode: number; badAnswer: boolean };

/** A task that failed: its own message and exit code; `badAnswer` when a contender's answer was refused. */
export class TaskError extends VectroError {
  constructor(
    message: string,
    exitCode: number,
    readonly badAnswer = false,
  ) {
    super(message, exitCode);
  }
}

export type TaskOutcome<R> = { outcome: 'done'; result: R } | { outcome: 'interrupted'; reason: unknown };

/**
 * Runs `script` (a module URL) in a worker thread or a child process with `input`, handing its
 * events to `onEvent`. Resolves its result, or `interrupted` when `signal` aborts (the task is
 * terminated; what it sent before is already handed over). Rejects with TaskError when the task
 * reports an error, and with an Error saying how it stopped when it ends without a result
 * (`stopped(code, signal)` words that line).
 */
export function runTask<E, R>(
  kind: 'thread' | 'process',
  script: URL,
  input: unknown,
  onEvent: (event: E) => void,
  options: { signal?: AbortSignal; stopped?: (code: number | null, signal: string | null) => string } = {},
): Promise<TaskOutcome<R>> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    const task =
      kind === 'thread'
        ? new Worker(script, { workerData: input })
        : fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      if (task instanceof Worker) void task.terminate();
      else task.kill('SIGTERM');
      settle(() => resolve({ outcome: 'interrupted', reason: signal?.reason }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
    task.on('message', (m: TaskMessage<E, R>) => {
      if (settled) return;
      if (m.type === 'event') onEvent(m.event);
      else if (m.type === 'done') settle(() => resolve({ outcome: 'done', result: m.result }));
      else settle(() => reject(new TaskError(m.message, m.exitCode, m.badAnswer)));
    });
    task.on('error', (err) => settle(() => reject(err)));
    task.on('exit', (code: number | null, sig?: string | null) => {
      const how =
        options.stopped?.(code, sig ?? null) ?? `the ${kind === 'thread' ? 'worker' : 'measuring process'} stopped early (${sig ?? `exit code ${code}`})`;
      settle(() => reject(new Error(how)));
    });
    if (!(task instanceof Worker)) task.send(input as Serializable);
  });
}

/**
 * The task's side: reads the input, runs `work` with an `emit` for events, and sends its result
 * (with `transfer`, in a thread) or its error. Call it once, at the top level of the task module.
 */
export async function serveTask<I, E, R>(work: (input: I, emit: (event: E) => void) => Promise<{ result: R; transfer?: ArrayBuffer[] }>): Promise<void> {
  const thread = parentPort !== null;
  const input: I = thread ? (workerData as I) : await new Promise((resolve) => process.once('message', resolve));
  // A process sends and waits for each message to leave, so that none is lost when it exits.
  const send = (m: TaskMessage<E, R>, transfer?: ArrayBuffer[]): Promise<void> =>
    thread ? Promise.resolve(parentPort!.postMessage(m, transfer ?? [])) : new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));
  let pending: Promise<void> = Promise.resolve();
  const emit = (event: E) => {
    pending = pending.then(() => send({ type: 'event', event }));
  };
  try {
    const { result, transfer } = await work(input, emit);
    await pending;
    await send({ type: 'done', result }, transfer);
  } catch (err) {
    await pending;
    const exitCode = err instanceof VectroError ? err.exitCode : 1;
    await send({ type: 'error', message: err instanceof Error ? err.message : String(err), exitCode, badAnswer: err instanceof AnswerError });
  }
  if (!thread) process.disconnect();
}

/** A task's progress: `done` of `total`, in a named stage. */
export interface Progress {
  done: number;
  total: number;
  stage?: string;
}

/**
 * A worker-thread task with progress events that resolves its result, or throws InterruptedError
 * (128 + the signal) when `signal` aborts: the index, ground-truth and difficulty workers.
 */
export async function runWorker<T>(
  script: URL,
  input: unknown,
  onProgress?: (done: number, total: number, stage?: string) => void,
  signal?: AbortSignal,
): Promise<T> {
  const r = await runTask<Progress, T>('thread', script, input, (p) => onProgress?.(p.done, p.total, p.stage), { signal });
  if (r.outcome === 'interrupted') throw new InterruptedError(signalExitCode(String(r.reason)));
  return r.result;
}
