import type { Command } from 'commander';
import { outputFormatOf } from '../../formats/detect.js';
import { dequantizeFile } from '../../quant/dequantize.js';
import { dequantizeOptions, parseOptions } from '../options.js';
import { formatBytes, keyValueTable, printJson, say } from '../output.js';
import { Progress } from '../progress.js';
import { withInterrupt } from '../../signals.js';
import { VqReader } from '../../formats/vq.js';
import { outputBytes } from '../../formats/writers.js';
import { planOutputs } from '../outputs.js';
import { addCommonOptions, backendLabel, chooseBackend } from './common.js';

export function registerDequantize(program: Command): void {
  const cmd = program
    .command('dequantize')
    .summary('decode a .vq file back to float32 vectors')
    .description('Decode every vector of a .vq file and write them as float32 .fvecs, .fbin or .npy (chosen by extension).')
    .argument('<input>', '.vq file to decode')
    .option('-o, --output <file>', 'the .fvecs, .fbin or .npy file to write (required)');
  addCommonOptions(cmd).action(async (input: string, raw: unknown) => {
    const opts = parseOptions(dequantizeOptions, raw);
    const format = outputFormatOf(opts.output);
    const layout = await VqReader.probe(input);
    await planOutputs([input], [{ flag: '-o', path: opts.output, bytes: outputBytes(format, layout.count, layout.dim), binary: true }]);
    const backend = chooseBackend(opts.backend, opts.quiet);
    const progress = new Progress(!opts.quiet);
    progress.start(`decoding ${input}`);
    const report = await withInterrupt((signal) =>
      dequantizeFile(input, opts.output, {
        backend,
        threads: opts.threads,
        signal,
        onProgress: (p) => progress.update('decoding', p.done, p.total),
      }),
    ).finally(() => progress.stop());
    if (opts.json) printJson(report);
    else if (!opts.quiet) {
      say(
        keyValueTable([
          ['output', report.output],
          ['vectors', report.vectors.toLocaleString('en-US')],
          ['dim', String(report.dim)],
          ['scheme', report.scheme],
          ['backend', backendLabel(backend, opts.backend, opts.threads)],
          ['output bytes', formatBytes(report.outputBytes)],
          ['time', `${report.seconds.toFixed(3)} s`],
        ]),
      );
    }
  });
}
