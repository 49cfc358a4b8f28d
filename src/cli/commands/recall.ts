import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { describeMachine, machineLine } from '../../evaluation/machine.js';
import { INDEX_METRICS, type IndexMetricName } from '../../distance/metrics.js';
import { InterruptedError, UsageError } from '../../errors.js';
import { ExportTarget, renderTerminalTable } from '../../export/exporters.js';
import { dataDir } from '../../datasets/cache.js';
import { resolveDataset, type Dataset } from '../../datasets/resolve.js';
import {
  ensureSynthetic,
  PRESET_DIM,
  PRESET_METRIC,
  SYNTHETIC_DEFAULTS,
  SYNTHETIC_PRESETS,
  syntheticDataset,
  type SyntheticOptions,
} from '../../datasets/synthetic.js';
import { loadNative } from '../../native/loader.js';
import { loadPeer, PEER_NAMES } from '../../evaluation/contenders.js';
import { RECALL_BACKENDS, type RecallBackend } from '../../evaluation/contenders.js';
import { renderRecallSvg } from '../../recall/plot.js';
import {
  buildLine,
  configTable,
  datasetLine,
  RECALL_LEGEND,
  renderRecallCsv,
  renderRecallJson,
  renderRecallMarkdown,
  summaryTable,
} from '../../recall/report.js';
import { runRecall } from '../../recall/run.js';
import type { RecallFile } from '../../recall/schema.js';
import { DEFAULT_CONFIGS, formatSpec, parseSpec, type IndexSpec } from '../../spec.js';
import { probeFaiss } from '../../peers/faiss.js';
import { signalExitCode, withInterrupt } from '../../signals.js';
import { LIMITS } from '../../limits.js';
import { kOption, parseNameList, parseOptions, threadsOption, wholeNumber } from '../options.js';
import { planOutputs } from '../outputs.js';
import { Progress } from '../progress.js';

export const DEFAULT_EFS = [16, 32, 64, 128, 256, 512];
export const DEFAULT_NPROBES = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const metricNames = Object.keys(INDEX_METRICS) as [IndexMetricName, ...IndexMetricName[]];

/** `--ef 16,32,64`: whole numbers from 1 to `max`, sorted, each once. */
const numberList = (flag: string, max: number) =>
  z.string().transform((s, ctx) => {
    const values = s.split(',');
    const numbers = values.map(Number);
    if (values.some((v) => !/^\d+$/.test(v)) || numbers.some((e) => e < 1 || e > max)) {
      ctx.addIssue({ code: 'custom', message: `${flag}: expected a comma-separated list of whole numbers from 1 to ${max}, got '${s}'` });
      return z.NEVER;
    }
    return [...new Set(numbers)].sort((a, b) => a - b);
  });

const recallOptions = z.object({
  data: z.string().optional(),
  configs: z.array(z.string()).default(DEFAULT_CONFIGS),
  backend: z.string().optional(),
  k: kOption(10),
  ef: numberList('--ef', LIMITS.ef).default(DEFAULT_EFS),
  nprobe: numberList('--nprobe', LIMITS.ef).default(DEFAULT_NPROBES),
  threads: threadsOption(),
  queries: wholeNumber('--queries', 1, LIMITS.queries).optional(),
  n: wholeNumber('--n', 1, LIMITS.n).optional(),
  dim: wholeNumber('--dim', 1, LIMITS.dim).optional(),
  seed: wholeNumber('--seed', 0, 2 ** 32 - 1).default(42),
  preset: z.enum(SYNTHETIC_PRESETS, { error: (i) => `--preset: expected one of ${SYNTHETIC_PRESETS.join(', ')}, got '${String(i.input)}'` }).optional(),
  metric: z.enum(metricNames, { error: (i) => `--metric: expected one of ${metricNames.join(', ')}, got '${String(i.input)}'` }).optional(),
  json: z.string().optional(),
  markdown: z.string().optional(),
  csv: z.string().optional(),
  plot: z.string().optional(),
  quiet: z.boolean().default(false),
});

/**
 * `--backend native,js,hnswlib,usearch`: checked names; native and the peers named must load. Default: native, else
 * js, with a note to print once the command line has been checked.
 */
async function chooseBackends(list: string | undefined, configs: IndexSpec[]): Promise<{ backends: RecallBackend[]; note?: string }> {
  if (list === undefined) {
    const native = loadNative();
    const own: RecallBackend[] = native.ok ? ['native'] : ['js'];
    const notes = native.ok ? [] : [`note: native backend unavailable (${native.reason}); measuring the js baseline`];
    // faiss: configurations bring their backend along.
    if (!configs.some((c) => c.type === 'faiss')) return { backends: own, note: notes[0] };
    const faiss = await probeFaiss();
    if (!faiss.ok) notes.push(`note: skipping FAISS: ${faiss.reason}`);
    return { backends: faiss.ok ? [...own, 'faiss'] : own, note: notes.join('\n') || undefined };
  }
  const names = parseNameList('--backend', list, RECALL_BACKENDS);
  const native = loadNative();
  if (names.includes('native') && !native.ok) {
    throw new UsageError(`--backend native: the native addon could not be loaded (${native.reason}); pass --backend js to measure the TypeScript baseline`);
  }
  for (const name of PEER_NAMES) {
    if (!names.includes(name)) continue;
    const peer = loadPeer(name);
    if (!peer.ok) throw new UsageError(`--backend ${name}: ${peer.reason}`);
  }
  if (names.includes('faiss')) {
    // Without Python or faiss the run goes on without it, and says so in one line.
    const faiss = await probeFaiss();
    if (!faiss.ok) {
      const rest = names.filter((n) => n !== 'faiss') as RecallBackend[];
      if (rest.length === 0) throw new UsageError(`--backend faiss: ${faiss.reason}`);
      return { backends: rest, note: `note: skipping FAISS: ${faiss.reason}` };
    }
  }
  return { backends: names as RecallBackend[] };
}

export function registerRecall(program: Command): void {
  program
    .command('recall')
    .summary('recall against speed, memory and build time on standard datasets')
    .description(
      'Build each index configuration on each backend, then sweep the search width (ef) and measure recall@1/@10/@100, ' +
        'queries per second (one thread, and batched on all threads), latency percentiles and distance computations per query, ' +
        'as ann-benchmarks does. Prints a table per configuration and a summary of QPS at recall 0.90, 0.95 and 0.99; ' +
        'exports JSON, Markdown, CSV and an SVG plot. DATASET: siftsmall (bundled; the default), sift1m (see `vectro datasets`), ' +
        'synthetic (generated: --preset sift|hard, --n, --dim, --queries, --seed), a folder of *_base/*_query/*_groundtruth files, or an ann-benchmarks .hdf5 file. ' +
        'Configurations are spec strings (the grammar of index build --spec): flat, hnsw,m=16,efc=200,storage=f32|int8|binary|rabitq1..8,rerank=N, ivf,nlist=N,storage=f32|int8|rabitq1..8,rerank=N, or a FAISS factory string as ' +
        'faiss:HNSW16,efc=200, faiss:IVF1024,Flat or faiss:IVF1024,RaBitQfs4,refine=5 (swept over --nprobe; needs Python with faiss-cpu). Details: docs/recall.md.',
    )
    .argument('[dataset]', 'dataset name, folder or .hdf5 file (default: siftsmall)')
    .option('--data <dir>', "folder holding a known dataset's files (e.g. sift_base.fvecs ...) instead of the cache")
    .option('--configs <spec...>', `index configurations (default: ${DEFAULT_CONFIGS.join(' ')})`)
    .option('--backend <list>', `comma-separated: ${RECALL_BACKENDS.join(', ')} (default: native; js when the addon is not built)`)
    .option('-k <n>', 'neighbours per query (default: 10)')
    .option('--ef <list>', `search widths to sweep (default: ${DEFAULT_EFS.join(',')}); values below k are skipped`)
    .option('--nprobe <list>', `IVF configurations: lists probed per query, swept (default: ${DEFAULT_NPROBES.join(',')}); values above nlist are skipped`)
    .option('--threads <n>', `threads for builds and batch queries (default: all cores, here ${availableParallelism()})`)
    .option('--queries <n>', 'measure the first N queries (synthetic: generate N; default 1000)')
    .option('--n <n>', `synthetic: base vectors (default: ${SYNTHETIC_DEFAULTS.n})`)
    .option('--dim <n>', `synthetic: dimension (default: ${PRESET_DIM.sift} for sift, ${PRESET_DIM.hard} for hard)`)
    .option('--preset <name>', 'synthetic: sift (SIFT-like, l2; the default) or hard (embedding-like, cosine, as hard as GloVe-100)')
    .option('--seed <n>', 'seed of the synthetic data and of the HNSW level generator (default: 42)')
    .option('--metric <name>', "l2, ip or cosine (default: the dataset's; l2 for folders)")
    .option('--json <file>', 'write results as JSON ({ machine, dataset, builds, points }); - for stdout')
    .option('--markdown <file>', 'write the tables as Markdown; - for stdout')
    .option('--csv <file>', 'write one CSV row per point; - for stdout')
    .option('--plot <file.svg>', 'write recall against QPS as an SVG plot')
    .option('-q, --quiet', 'print nothing but errors (and exports to stdout)')
    .action(async (datasetArg: string | undefined, raw: Record<string, unknown>) => {
      const opts = parseOptions(recallOptions, raw);
      const configs = opts.configs.map((c) => parseSpec(c));
      const labels = configs.map(formatSpec);
      const dupe = labels.find((l, i) => labels.indexOf(l) !== i);
      if (dupe) throw new UsageError(`--configs: '${dupe}' is given twice`);
      const short = configs.find((c) => c.rerank > 0 && c.rerank < opts.k);
      if (short) throw new UsageError(`--configs '${formatSpec(short)}': rerank (${short.rerank}) must be at least k (${opts.k})`);
      const { backends, note } = await chooseBackends(opts.backend, configs);
      const faissConfig = configs.find((c) => c.type === 'faiss');
      if (faissConfig && opts.backend !== undefined && !opts.backend.split(',').some((b) => b.trim() === 'faiss')) {
        throw new UsageError(`--configs '${formatSpec(faissConfig)}': runs on FAISS; add faiss to --backend`);
      }
      if (opts.plot && extname(opts.plot).toLowerCase() !== '.svg') throw new UsageError(`--plot ${opts.plot}: the plot is written as .svg`);
      const synthetic = datasetArg === 'synthetic';
      if (!synthetic && (opts.n !== undefined || opts.dim !== undefined || opts.preset !== undefined))
        throw new UsageError('--n, --dim and --preset are for the synthetic dataset');
      const preset = opts.preset ?? SYNTHETIC_DEFAULTS.preset;
      const syntheticOptions: SyntheticOptions = {
        preset,
        n: opts.n ?? SYNTHETIC_DEFAULTS.n,
        dim: opts.dim ?? PRESET_DIM[preset],
        queries: opts.queries ?? SYNTHETIC_DEFAULTS.queries,
        seed: opts.seed,
      };
      if (synthetic && opts.metric && opts.metric !== PRESET_METRIC[preset])
        throw new UsageError(`--metric: the ${preset} synthetic dataset is measured with ${PRESET_METRIC[preset]}`);
      const dataset = synthetic ? syntheticDataset(syntheticOptions) : await resolveDataset(datasetArg, { data: opts.data, metric: opts.metric });
      const inputs = [dataset.base, dataset.queries, dataset.truth].map((s) => s?.path);
      // The run also reads and writes the cache (datasets, their manifests, difficulty figures).
      await planOutputs(
        inputs,
        [
          { flag: '--json', path: opts.json },
          { flag: '--markdown', path: opts.markdown },
          { flag: '--csv', path: opts.csv },
          { flag: '--plot', path: opts.plot },
        ],
        [{ dir: dataDir(), why: "vectro's data cache (VECTRO_DATA_DIR), which this run reads and writes" }],
      );
      await runRecallCommand(dataset, synthetic ? syntheticOptions : undefined, opts, configs, backends, note);
    });
}

type RecallOptions = z.infer<typeof recallOptions>;

/** The command as typed (quoted where needed), for the Markdown report. */
function commandLine(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w.,=/:@+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return ['vectro', ...args].join(' ');
}

async function runRecallCommand(
  resolved: Dataset,
  synthetic: SyntheticOptions | undefined,
  opts: RecallOptions,
  configs: ReturnType<typeof parseSpec>[],
  backends: RecallBackend[],
  backendNote: string | undefined,
): Promise<void> {
  const targets = [
    opts.json && new ExportTarget<RecallFile>(opts.json, renderRecallJson),
    opts.markdown && new ExportTarget<RecallFile>(opts.markdown, (f) => renderRecallMarkdown(f, commandLine())),
    opts.csv && new ExportTarget<RecallFile>(opts.csv, renderRecallCsv),
    opts.plot && new ExportTarget<RecallFile>(opts.plot, renderRecallSvg),
  ].filter((t): t is ExportTarget<RecallFile> => Boolean(t));
  const toStdout = targets.some((t) => t.toStdout);
  const say = opts.quiet ? () => undefined : toStdout ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => console.log(s);
  const progress = new Progress(!opts.quiet);
  let file: RecallFile | undefined;
  let writes: Promise<unknown> = Promise.resolve();
  const save = () => {
    if (file) writes = Promise.all(targets.map((t) => t.update(file!)));
  };
  let current = '';
  const stoppedBy = await withInterrupt(async (signal) => {
    let dataset = resolved;
    if (synthetic) {
      progress.start('preparing the synthetic dataset');
      dataset = await ensureSynthetic(synthetic, { threads: opts.threads, signal, onProgress: (stage, done, total) => progress.update(stage, done, total) });
    }
    if (backendNote) process.stderr.write(`${backendNote}\n`);
    progress.start('measuring the machine');
    const { size: _size, ...machine } = describeMachine(opts.seed, opts.threads, 'default');
    say(machineLine(machine));
    const printRun = () => {
      if (!file || !current) return;
      const [config, backend] = current.split('\0');
      if (file.points.some((p) => p.config === config && p.backend === backend)) {
        progress.stop();
        say(renderTerminalTable(configTable(file, config, backend)));
      }
    };
    const outcome = await runRecall(
      {
        dataset,
        configs,
        backends,
        k: opts.k,
        efs: opts.ef,
        nprobes: opts.nprobe,
        threads: opts.threads,
        seed: opts.seed,
        queryLimit: synthetic ? undefined : opts.queries,
      },
      (e) => {
        if (e.type === 'stage') progress.start(e.text);
        else if (e.type === 'progress') progress.update(current ? `${current.replace('\0', ' [')}] ${e.label}` : e.label, e.done, e.total);
        else if (e.type === 'dataset') {
          file = { machine, dataset: e.info, builds: [], points: [] };
          progress.stop();
          say(datasetLine(file));
        } else if (e.type === 'run') {
          printRun();
          current = `${e.config}\0${e.backend}`;
          progress.stop();
          say(`\n${e.config} [${e.backend}] (${e.index + 1}/${e.total})`);
          progress.start(`${e.config} [${e.backend}]: starting`);
        } else if (e.type === 'skip') {
          progress.stop();
          say(`\nskipped ${e.config} on ${e.backend}: ${e.reason}`);
        } else if (e.type === 'build') {
          file!.builds.push(e.build);
          progress.stop();
          say(buildLine(e.build));
          save();
        } else {
          file!.points.push(e.point);
          save();
        }
      },
      signal,
    );
    printRun();
    return outcome === 'interrupted' ? String(signal.reason) : undefined;
  }).finally(() => progress.stop());
  await writes;
  if (file) {
    say(`\nsummary: the best one-thread QPS reaching each recall@${file.dataset.k}\n${renderTerminalTable(summaryTable(file))}\n${RECALL_LEGEND}`);
    for (const t of targets) await t.finish(file);
  }
  if (stoppedBy) {
    const kept = targets.filter((t) => !t.toStdout).map((t) => t.path);
    if (kept.length > 0 && file) process.stderr.write(`${file.points.length} points kept in ${kept.join(', ')}\n`);
    throw new InterruptedError(signalExitCode(stoppedBy));
  }
}
