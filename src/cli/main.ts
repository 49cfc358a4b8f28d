import { Command, CommanderError } from 'commander';
import { printable, UsageError, VectroError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerBench } from './commands/bench.js';
import { reportsToStdout } from './output.js';
import { registerDatasets } from './commands/datasets.js';
import { registerDequantize } from './commands/dequantize.js';
import { registerGroundTruth } from './commands/groundtruth.js';
import { registerIndex } from './commands/index.js';
import { registerInfo } from './commands/info.js';
import { registerInspect } from './commands/inspect.js';
import { registerQuantize } from './commands/quantize.js';
import { registerRecall } from './commands/recall.js';

function buildProgram(): Command {
  const program = new Command()
    .name('vectro')
    .description('Quantize, index and benchmark embedding vectors (Rust core, TypeScript baseline).')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerQuantize(program);
  registerDequantize(program);
  registerInspect(program);
  registerInfo(program);
  registerIndex(program);
  registerGroundTruth(program);
  registerBench(program);
  registerRecall(program);
  registerDatasets(program);
  refuseRepeatedOptions(program);
  return program;
}

/**
 * A flag that takes one value and is given twice (`--nlist 4 --nlist 8`) is refused rather than
 * letting the last one win silently. Lists (`--configs a b`) and switches may repeat.
 */
function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    if (option.variadic || !(option.required || option.optional)) continue;
    let seen = false;
    command.on(`option:${option.name()}`, () => {
      if (seen) throw new UsageError(`${option.long ?? option.short}: given more than once; give it once`);
      seen = true;
    });
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub);
}

/**
 * Runs the CLI and returns the exit code: 0 on success, 2 for a bad command line, 1 for bad data or
 * I/O, 130 when interrupted. Errors print one `error:` line; VECTRO_DEBUG=1 adds the stack.
 */
export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`vectro quantize X -o - | head -c 100`) closes the pipe: that ends
  // the output quietly, as for any Unix filter, instead of an unhandled EPIPE.
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  reportsToStdout();
  try {
    await buildProgram().parseAsync(argv);
    // A command that finished but wants a non-zero status (bench compare --fail-on-regression).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // commander printed it
    const debug = process.env.VECTRO_DEBUG === '1';
    // One line whatever the message holds: newlines and control bytes (from files) are escaped.
    const message = printable(err instanceof Error ? err.message : String(err));
    if (err instanceof VectroError) {
      process.stderr.write(`error: ${message}\n`);
      if (debug) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    // Not one of vectro's own errors: a bug, or a failure nothing below turned into one.
    process.stderr.write(`error: ${message}${debug ? '' : ' (VECTRO_DEBUG=1 shows where)'}\n`);
    if (debug) process.stderr.write(`${(err as Error)?.stack}\n`);
    return 1;
  }
}
