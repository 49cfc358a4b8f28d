import type { Command } from 'commander';
import { z } from 'zod';
import { INDEX_METRICS } from '../../distance/metrics.js';
import { VECTOR_FORMATS } from '../../formats/detect.js';
import { writeFilesAtomic } from '../../formats/atomic.js';
import { VectorReader } from '../../formats/vectors.js';
import { texmexRecords } from '../../formats/writers.js';
import { checkOutputExtension, planOutputs } from '../outputs.js';
import { computeGroundTruth } from '../../index/groundtruth.js';
import { withInterrupt } from '../../signals.js';
import { formatRate } from '../../units.js';
import { commonOptions, kOption, parseOptions } from '../options.js';
import { keyValueTable, printJson, say } from '../output.js';
import { Progress } from '../progress.js';
import { addCommonOptions, backendLabel, chooseBackend } from './common.js';

const metricNames = Object.keys(INDEX_METRICS) as [keyof typeof INDEX_METRICS, ...(keyof typeof INDEX_METRICS)[]];

const groundTruthOptions = commonOptions.extend({
  output: z.string({ error: '-o, --output: required (the .ivecs file of neighbour ids)' }).min(1),
  k: kOption(100),
  metric: z.enum(metricNames, { error: (i) => `--metric: expected one of ${metricNames.join(', ')}, got '${String(i.input)}'` }).default('l2'),
  distances: z.string().optional(),
  format: z.enum(VECTOR_FORMATS, { error: (i) => `--format: expected one of ${VECTOR_FORMATS.join(', ')}, got '${String(i.input)}'` }).optional(),
});

export function registerGroundTruth(program: Command): void {
  const cmd = program
    .command('groundtruth')
    .summary('exact nearest neighbours of every query (multi-threaded), as .ivecs')
    .description(
      'Find the exact k nearest BASE vectors of every vector in QUERIES and write their ids, nearest first ' +
        '(ties to the smaller id), one .ivecs record per query. Metrics: l2 (squared euclidean), ip (1 - a.b), cosine.',
    )
    .argument('<base>', 'vector file to search')
    .argument('<queries>', 'vector file of queries (same dimension)')
    .option('-k <n>', 'neighbours per query', '100')
    .option('-o, --output <file>', 'the .ivecs file to write (required)')
    .option('--metric <name>', 'l2, ip or cosine', 'l2')
    .option('--distances <file>', 'also write the distances, as .fvecs')
    .option('--format <name>', 'format of both inputs when their extensions do not say');
  addCommonOptions(cmd).action(async (basePath: string, queriesPath: string, raw: unknown) => {
    const opts = parseOptions(groundTruthOptions, raw);
    checkOutputExtension('-o', opts.output, ['.ivecs'], 'ground truth is written as .ivecs');
    if (opts.distances) checkOutputExtension('--distances', opts.distances, ['.fvecs'], 'distances are written as .fvecs');
    const { count: queries } = await VectorReader.probe(queriesPath, opts.format);
    const bytes = queries * (opts.k + 1) * 4;
    await planOutputs(
      [basePath, queriesPath],
      [
        { flag: '-o', path: opts.output, bytes, binary: true },
        { flag: '--distances', path: opts.distances, bytes, binary: true },
      ],
    );
    const backend = chooseBackend(opts.backend, opts.quiet);
    const progress = new Progress(!opts.quiet);
    progress.start('reading vectors');
    const started = performance.now();
    const gt = await withInterrupt((signal) =>
      computeGroundTruth(basePath, queriesPath, {
        metric: opts.metric,
        k: opts.k,
        backend: backend.name,
        threads: opts.threads,
        baseFormat: opts.format,
        queriesFormat: opts.format,
        signal,
        onProgress: (done, total) => progress.update('searching', done, total),
      }),
    ).finally(() => progress.stop());
    await writeFilesAtomic([
      { path: opts.output, data: texmexRecords(gt.ids, opts.k) },
      ...(opts.distances ? [{ path: opts.distances, data: texmexRecords(gt.dists, opts.k) }] : []),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const report = {
      output: opts.output,
      distances: opts.distances ?? null,
      queries: gt.queries,
      base: gt.base,
      dim: gt.dim,
      k: opts.k,
      metric: opts.metric,
      backend: gt.backend,
      threads: opts.threads,
      seconds,
      queriesPerSecond: gt.queries / seconds,
    };
    if (opts.json) printJson(report);
    else if (!opts.quiet) {
      say(
        keyValueTable([
          ['output', opts.output + (opts.distances ? ` (distances: ${opts.distances})` : '')],
          ['queries x base', `${gt.queries.toLocaleString('en-US')} x ${gt.base.toLocaleString('en-US')}, dim ${gt.dim}`],
          ['k, metric', `${opts.k}, ${opts.metric}`],
          ['backend', backendLabel(backend, opts.backend, opts.threads)],
          ['time', `${seconds.toFixed(3)} s (${formatRate(report.queriesPerSecond)} queries/s, reading included)`],
        ]),
      );
    }
  });
}
