import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { BACKEND_NAMES } from '../../backends/backend.js';
import { loadNative } from '../../native/loader.js';
import { loadPeer, PEER_NAMES } from '../../evaluation/contenders.js';
import { probeFaiss } from '../../peers/faiss.js';
import { compareRuns, loadBenchFile } from '../../bench/compare.js';
import { runPlan } from '../../bench/harness.js';
import { describeMachine, machineLine } from '../../evaluation/machine.js';
import type { BenchPlan } from '../../bench/plan.js';
import { resultSchema, type BenchFile } from '../../bench/schema.js';
import type { SizeClass } from '../../bench/suite.js';
import { SUITE_NAMES, SUITES } from '../../bench/suites/index.js';
import { InterruptedError, UsageError } from '../../errors.js';
import { ExportTarget, renderTerminalTable } from '../../export/exporters.js';
import { FLAG_LEGEND, renderCsv, renderJson, renderMarkdown, suiteTables } from '../../bench/report.js';
import { formatRate } from '../../units.js';
import { signalExitCode, withInterrupt } from '../../signals.js';
import { LIMITS as COUNT_LIMITS } from '../../limits.js';
import { parseNameList, parseOptions, threadsOption, wholeNumber } from '../options.js';
import { planOutputs } from '../outputs.js';
import { Progress } from '../progress.js';

/** Run limits per size class: `--runs`, `--min-time` and `--max-time` override them. */
const RUN_LIMITS: Record<SizeClass, { runs: number; minTime: number; maxTime: number }> = {
  quick: { runs: 3, minTime: 0.01, maxTime: 0.5 },
  default: { runs: 5, minTime: 0.1, maxTime: 2 },
  full: { runs: 10, minTime: 0.5, maxTime: 10 },
};

const seconds = (flag: string) => z.coerce.number({ error: `${flag}: expected a number of seconds` }).min(0, `${flag}: must not be negative`);

const benchOptions = z
  .object({
    suites: z.array(z.string()),
    backend: z.string().optional(),
    quick: z.boolean().default(false),
    full: z.boolean().default(false),
    dim: wholeNumber('--dim', 1, COUNT_LIMITS.dim).optional(),
    count: wholeNumber('--count', 1, COUNT_LIMITS.n).optional(),
    threads: threadsOption(),
    warmup: wholeNumber('--warmup', 0, 1000).default(1),
    runs: wholeNumber('--runs', 2, 1_000_000).optional(),
    minTime: seconds('--min-time').optional(),
    maxTime: seconds('--max-time').optional(),
    seed: wholeNumber('--seed', 0, 2 ** 32 - 1).default(42),
    json: z.string().optional(),
    markdown: z.string().optional(),
    csv: z.string().optional(),
  })
  .refine((o) => !(o.quick && o.full), { error: '--quick and --full: choose one' })
  .refine((o) => o.suites.every((s) => SUITE_NAMES.includes(s)), {
    error: (issue) => {
      const bad = (issue.input as { suites: string[] }).suites.find((s) => !SUITE_NAMES.includes(s));
      return `unknown suite '${bad}' (suites: ${SUITE_NAMES.join(', ')})`;
    },
  });

/**
 * `--backend native,js,hnswlib,usearch,faiss`: the named backends, or every available one. FAISS
 * (a Python worker) is only probed when an index suite will run.
 */
async function chooseBackends(list: string | undefined, suites: string[]): Promise<string[]> {
  const nativeLoad = loadNative();
  const known = [...BACKEND_NAMES, ...PEER_NAMES, 'faiss'] as string[];
  const indexSuites = suites.some((s) => s.startsWith('hnsw-') || s === 'scan');
  if (list === undefined) {
    if (!nativeLoad.ok) process.stderr.write(`note: native backend unavailable (${nativeLoad.reason}); measuring js only\n`);
    const peers: string[] = PEER_NAMES.filter((p) => {
      const peer = loadPeer(p);
      if (!peer.ok) process.stderr.write(`note: skipping ${p} in the index suites: ${peer.reason}\n`);
      return peer.ok;
    });
    if (indexSuites) {
      const faiss = await probeFaiss();
      if (faiss.ok) peers.push('faiss');
      else process.stderr.write(`note: skipping FAISS in the index suites: ${faiss.reason}\n`);
    }
    return [...(nativeLoad.ok ? ['native'] : []), 'js', ...peers];
  }
  const names = parseNameList('--backend', list, known);
  if (names.includes('native') && !nativeLoad.ok) throw new UsageError(`--backend native: the native addon could not be loaded: ${nativeLoad.reason}`);
  for (const p of PEER_NAMES) {
    const peer = names.includes(p) ? loadPeer(p) : undefined;
    if (peer && !peer.ok) throw new UsageError(`--backend ${p}: ${peer.reason}`);
  }
  if (names.includes('faiss') && indexSuites) {
    const faiss = await probeFaiss();
    if (!faiss.ok) {
      process.stderr.write(`note: skipping FAISS: ${faiss.reason}\n`);
      return names.filter((n) => n !== 'faiss');
    }
  }
  return names;
}

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .summary('measure every kernel: native against the TypeScript baseline')
    .description(
      `Measure vectro's kernels on this machine and print, per suite, a table of each backend's median ` +
        `throughput (with min-max) and the speedup over js. Suites: ${SUITES.map((s) => `${s.name} (${s.description})`).join('; ')}. ` +
        `Statistics and the result schema: docs/bench.md.`,
    )
    .argument('[suites...]', `suites to run (default: all): ${SUITE_NAMES.join(', ')}`)
    // bench's options stay before `compare`, so `bench compare --json` is compare's own flag.
    .enablePositionalOptions()
    .option(
      '--backend <list>',
      'comma-separated backends (default: every available one): native, js; hnswlib, usearch and faiss (Python with faiss-cpu, or VECTRO_PYTHON) join the index suites when installed',
    )
    .option('--quick', 'small sizes and few runs, about 10 s (smoke tests)')
    .option('--full', 'the large sizes (1M vectors, 100k-row matrices); several minutes')
    .option('--dim <n>', 'dimension for the quantize, distance and matrix suites (default: their own)')
    .option('--count <n>', 'vectors (quantize), rows (distance, matrix) or scores (topk) per case')
    .option('--threads <n>', `threads for the matrix suite and threaded rows (default: all cores, here ${availableParallelism()})`)
    .option('--warmup <n>', 'untimed runs before measuring each case (default: 1)')
    .option('--runs <n>', 'at least this many timed runs per case (default: 5; quick 3, full 10)')
    .option('--min-time <seconds>', 'and at least this long per case (default: 0.1; quick 0.01, full 0.5)')
    .option('--max-time <seconds>', 'but stop a slow case after this long, with at least 2 runs (default: 2; quick 0.5, full 10)')
    .option('--seed <n>', 'seed of the generated data (default: 42)')
    .option('--json <file>', 'write results as JSON ({ machine, results }); - for stdout')
    .option('--markdown <file>', 'write the tables as Markdown; - for stdout')
    .option('--csv <file>', 'write one CSV row per result; - for stdout')
    .action(async (suites: string[], raw: Record<string, unknown>) => {
      const opts = parseOptions(benchOptions, { ...raw, suites });
      const size: SizeClass = opts.quick ? 'quick' : opts.full ? 'full' : 'default';
      const suiteNames = opts.suites.length > 0 ? [...new Set(opts.suites)] : [...SUITE_NAMES];
      const backends = await chooseBackends(opts.backend, suiteNames);
      await planOutputs(
        [],
        [
          { flag: '--json', path: opts.json },
          { flag: '--markdown', path: opts.markdown },
          { flag: '--csv', path: opts.csv },
        ],
      );
      const limits = RUN_LIMITS[size];
      const plan: BenchPlan = {
        suites: suiteNames,
        backends,
        options: { size, dim: opts.dim, count: opts.count, threads: opts.threads, seed: opts.seed },
        limits: {
          warmup: opts.warmup,
          minRuns: opts.runs ?? limits.runs,
          minSeconds: opts.minTime ?? limits.minTime,
          maxSeconds: opts.maxTime ?? limits.maxTime,
        },
        peakGflops: null,
      };
      await runBench(plan, opts);
    });

  bench
    .command('compare')
    .summary('ratio table between two saved runs, flagging changes beyond noise')
    .description(
      'Compare two `vectro bench --json` files case by case: the ratio of medians (new / old; above 1 is ' +
        "faster), and a verdict that counts a change only beyond the runs' own noise (every new run faster " +
        'than every old one, or slower).',
    )
    .argument('<old>', 'earlier results (JSON)')
    .argument('<new>', 'later results (JSON)')
    .option('--fail-on-regression', 'exit with 1 when any case got slower beyond noise')
    .option('--json', 'print the comparison as JSON')
    .action(async (oldPath: string, newPath: string, raw: { failOnRegression?: boolean; json?: boolean }) => {
      const [oldFile, newFile] = [await loadBenchFile(oldPath), await loadBenchFile(newPath)];
      const rows = compareRuns(oldFile, newFile);
      if (raw.json) {
        process.stdout.write(
          `${JSON.stringify(
            rows.map(({ old, new: n, ...r }) => ({ ...r, old_median: old?.median ?? null, new_median: n?.median ?? null })),
            null,
            2,
          )}\n`,
        );
      } else {
        console.log(`old: ${machineLine(oldFile.machine)}\nnew: ${machineLine(newFile.machine)}`);
        if (oldFile.machine.cpu !== newFile.machine.cpu) console.log('note: the runs come from different CPUs; ratios compare machines as much as code');
        const t = {
          suite: 'compare',
          header: ['suite', 'case', 'backend', 'unit', 'old', 'new', 'new/old', 'verdict'],
          rows: rows.map((c) => [
            c.suite,
            c.case,
            c.backend,
            c.unit,
            c.old ? formatRate(c.old.median) : '-',
            c.new ? formatRate(c.new.median) : '-',
            c.ratio === null ? '-' : `${c.ratio.toFixed(2)}x`,
            c.verdict,
          ]),
        };
        console.log(renderTerminalTable(t));
        const slower = rows.filter((r) => r.verdict === 'slower').length;
        const faster = rows.filter((r) => r.verdict === 'faster').length;
        console.log(`${faster} faster, ${slower} slower beyond noise, ${rows.length - faster - slower} unchanged or unpaired`);
      }
      if (raw.failOnRegression && rows.some((r) => r.verdict === 'slower')) {
        process.exitCode = 1;
      }
    });
}

async function runBench(
  plan: BenchPlan,
  opts: { quiet?: boolean; json?: string; markdown?: string; csv?: string; seed: number; threads: number },
): Promise<void> {
  const size = plan.options.size;
  const progress = new Progress(true);
  progress.start('measuring the machine');
  const machine = describeMachine(opts.seed, opts.threads, size);
  plan.peakGflops = machine.peak_gflops_per_core;
  const file: BenchFile = { machine, results: [] };
  const descriptions = Object.fromEntries(SUITES.map((s) => [s.name, s.description]));
  const targets = [
    opts.json && new ExportTarget<BenchFile>(opts.json, renderJson),
    opts.markdown && new ExportTarget<BenchFile>(opts.markdown, (f) => renderMarkdown(f, descriptions)),
    opts.csv && new ExportTarget<BenchFile>(opts.csv, renderCsv),
  ].filter((t): t is ExportTarget<BenchFile> => Boolean(t));
  // Tables go to stderr when an export claims stdout.
  const say = targets.some((t) => t.toStdout) ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => console.log(s);
  say(machineLine(machine));
  const printed = new Set<string>();
  const printSuite = (suite: string) => {
    const table = suiteTables({ machine, results: file.results.filter((r) => r.suite === suite) })[0];
    if (!table || printed.has(suite)) return;
    printed.add(suite);
    progress.stop();
    say(`\n${suite}: ${descriptions[suite]}\n${renderTerminalTable(table)}`);
    const slowStart = file.results.filter((r) => r.suite === suite && r.first_run_slow).length;
    if (slowStart > 0) {
      say(`warning: in ${slowStart} result${slowStart > 1 ? 's' : ''} (marked !) the first timed run was much slower than the rest; try --warmup 3`);
    }
  };

  let writes: Promise<unknown> = Promise.resolve();
  const stoppedBy = await withInterrupt(async (signal) => {
    const outcome = await runPlan(
      plan,
      (event) => {
        if (event.type === 'case') {
          progress.start(`${event.suite} › ${event.case} › ${event.backend} (${event.index + 1}/${event.total})`);
        } else if (event.type === 'result') {
          file.results.push(resultSchema.parse(event.result));
          writes = Promise.all(targets.map((t) => t.update(file)));
        } else if (event.type === 'suite-done') {
          printSuite(event.suite);
        } else if (event.type === 'skip') {
          progress.stop();
          process.stderr.write(`skipped ${event.backend} in ${event.suite} › ${event.case}: ${event.reason}\n`);
        }
      },
      signal,
    );
    return outcome === 'interrupted' ? String(signal.reason) : undefined;
  }).finally(() => progress.stop());
  await writes;
  for (const suite of new Set(file.results.map((r) => r.suite))) printSuite(suite);
  say(`\nCells: median [min-max] over the timed runs. ${FLAG_LEGEND}.`);
  for (const t of targets) await t.finish(file);
  if (stoppedBy) {
    const kept = targets.filter((t) => !t.toStdout).map((t) => t.path);
    if (kept.length > 0) process.stderr.write(`${file.results.length} results kept in ${kept.join(', ')}\n`);
    throw new InterruptedError(signalExitCode(stoppedBy));
  }
}
