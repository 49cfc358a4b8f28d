import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { Backend } from '../../backends/backend.js';
import { selectBackend, type BackendChoice } from '../../backends/select.js';

/** The flags every computing command takes. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--backend <name>', 'auto (native when it loads), native or js', 'auto')
    .option('--threads <n>', `threads for the native backend (default: all cores, here ${availableParallelism()})`)
    .option('--json', 'print the result as one JSON object on stdout')
    .option('-q, --quiet', 'print nothing but errors (and --json output)');
}

/**
 * The backend for `--backend`. When auto falls back to js, an interactive run says so once on stderr;
 * piped runs stay quiet there, and the summary's backend row tells it instead (see `backendLabel`).
 */
export function chooseBackend(choice: BackendChoice, quiet: boolean): Backend {
  const interactive = !quiet && process.stderr.isTTY;
  return selectBackend(choice, interactive ? (message) => process.stderr.write(`${message}\n`) : undefined);
}

/** How the summary names the backend a run used. */
export function backendLabel(backend: Backend, choice: BackendChoice, threads: number): string {
  if (backend.name === 'native') return `native (${backend.simd}, ${threads > 1 ? `up to ${threads} threads` : '1 thread'})`;
  return choice === 'auto' ? 'js (native backend not loaded; see `vectro info`)' : 'js';
}
