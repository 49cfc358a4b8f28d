import { constants } from 'node:os';
import { InterruptedError } from './errors.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `work` with an AbortSignal that Ctrl-C (SIGINT), SIGTERM or a closed terminal (SIGHUP) trips,
 * with the signal's name as the abort reason. The work checks it between chunks and cleans up; the
 * CLI then exits with 128 + the signal number. A second signal kills the process at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handlers = STOP_SIGNALS.map((name) => {
    const handler = () => {
      remove();
      controller.abort(name);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  const remove = () => handlers.forEach(([name, handler]) => process.removeListener(name, handler));
  try {
    return await work(controller.signal);
  } finally {
    remove();
  }
}

/** Exit code for a run stopped by `signal`: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: string): number {
  return 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 2);
}

/** Throws the InterruptedError for an aborted `signal` (its reason is the signal's name). */
export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError(signalExitCode(String(signal.reason)));
}
