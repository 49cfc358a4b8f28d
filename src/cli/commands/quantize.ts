import type { Command } from 'commander';
import { VECTOR_FORMATS } from '../../formats/detect.js';
import { quantizeFile, type QuantizeReport } from '../../quant/quantize.js';
import { SCHEMES } from '../../quant/schemes.js';
import { parseOptions, quantizeOptions } from '../options.js';
import { formatBytes, formatNumber, keyValueTable, printJson, say } from '../output.js';
import { formatRate } from '../../units.js';
import { Progress } from '../progress.js';
import { withInterrupt } from '../../signals.js';
import { VectorReader } from '../../formats/vectors.js';
import { vqLayout } from '../../formats/vq.js';
import { checkOutputExtension, planOutputs } from '../outputs.js';
import { addCommonOptions, backendLabel, chooseBackend } from './common.js';

export function registerQuantize(program: Command): void {
  const cmd = program
    .command('quantize')
    .summary('compress a vector file into a .vq file and report the error')
    .description(
      'Quantize every vector of INPUT (fvecs, ivecs, bvecs, fbin, u8bin, i8bin, ibin or npy) into a .vq file, ' +
        'streaming it in chunks, and report size, speed, reconstruction error and what the scheme costs in search ' +
        '(distance errors, and recall@10 of a scan of the codes with 0/20/50/100 re-scored, for 100 of its vectors ' +
        'as queries). Formulas: docs/quantization.md.',
    )
    .argument('<input>', 'vector file to quantize')
    .option('-o, --output <file>', 'the .vq file to write (required)')
    .option('--scheme <name>', `quantization scheme: int8, int4, int2, binary, rabitq1..rabitq8, or rabitq with --bits`, 'int8')
    .option('--bits <n>', 'bits per dimension for --scheme rabitq, 1 to 8 (default 1, plain RaBitQ)')
    .option('--metric <name>', 'distance searches will use: l2, ip or cosine (rabitq normalises vectors for cosine; the search report measures it)', 'l2')
    .option('--seed <n>', "seed of rabitq's rotation and of the search report's samples", '42')
    .option('--no-search-report', 'skip the search-quality report (distance errors and recall@10 of a scan over the codes)')
    .option('--format <name>', `input format when the extension does not say: ${VECTOR_FORMATS.join(', ')}`);
  addCommonOptions(cmd).action(async (input: string, raw: unknown) => {
    const opts = parseOptions(quantizeOptions, raw);
    checkOutputExtension('-o', opts.output, ['.vq'], 'quantize writes .vq files; give the output a .vq extension');
    const { count, dim } = await VectorReader.probe(input, opts.format);
    await planOutputs([input], [{ flag: '-o', path: opts.output, bytes: vqLayout(SCHEMES[opts.scheme], dim, count).fileBytes, binary: true }]);
    const backend = chooseBackend(opts.backend, opts.quiet);
    const progress = new Progress(!opts.quiet);
    progress.start(`quantizing ${input}`);
    const report = await withInterrupt((signal) =>
      quantizeFile(input, opts.output, {
        scheme: SCHEMES[opts.scheme],
        backend,
        threads: opts.threads,
        format: opts.format,
        metric: opts.metric,
        seed: opts.seed,
        searchReport: opts.searchReport,
        signal,
        onProgress: (p) =>
          progress.update(p.phase === 'center' ? 'center pass' : opts.searchReport ? 'encoding and measuring search quality' : 'encoding', p.done, p.total),
      }),
    ).finally(() => progress.stop());
    if (opts.json) printJson(report);
    else if (!opts.quiet) say(summaryTable(report, backendLabel(backend, opts.backend, report.threads)));
  });
}

function summaryTable(r: QuantizeReport, backend: string): string {
  return keyValueTable([
    ['output', r.output],
    ['vectors', r.vectors.toLocaleString('en-US')],
    ['dim', String(r.dim)],
    ['scheme', r.scheme],
    ['backend', backend],
    ['input bytes', formatBytes(r.inputBytes)],
    ['output bytes', formatBytes(r.outputBytes)],
    ['compression', `${r.compressionRatio.toFixed(2)}x`],
    ['time', `${r.seconds.toFixed(3)} s`],
    ['throughput', `${formatRate(r.vectorsPerSecond)} vectors/s`],
    ['mean abs error', formatNumber(r.meanAbsError)],
    ['max abs error', formatNumber(r.maxAbsError)],
    ['MSE', formatNumber(r.mse)],
    ['mean relative error', formatNumber(r.meanRelativeError)],
    ...searchRows(r),
  ]);
}

/** The search-quality report's rows (none when it was skipped). */
function searchRows(r: QuantizeReport): [string, string][] {
  const s = r.searchReport;
  if (!s) return [];
  const recall = s.recallAt10.map((x) => x.recall.toFixed(3)).join(' / ');
  return [
    ['metric', r.metric],
    [
      `distance error (${s.pairs.toLocaleString('en-US')} pairs)`,
      `mean ${formatNumber(s.meanRelativeDistanceError)}, p99 ${formatNumber(s.p99RelativeDistanceError)}`,
    ],
    [`recall@10, rerank ${s.recallAt10.map((x) => x.rerank).join('/')}`, `${recall} (${s.queries} queries from the file, exact scan of the codes)`],
  ];
}
