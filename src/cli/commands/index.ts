import type { Command } from 'commander';
import { z } from 'zod';
import { INDEX_METRICS } from '../../distance/metrics.js';
import { UsageError } from '../../errors.js';
import { formatRate } from '../../units.js';
import { VECTOR_FORMATS } from '../../formats/detect.js';
import { writeFilesAtomic } from '../../formats/atomic.js';
import { checkTruth, readTruthFile } from '../../formats/truth.js';
import { VectorReader } from '../../formats/vectors.js';
import { texmexRecords } from '../../formats/writers.js';
import type { BuildJob } from '../../index/build-worker.js';
import { indexFileBytes, probeIndex, readIndex, STORAGES, writeIndex, type IndexData, type Storage } from '../../index/format.js';
import { DEFAULT_ITERATIONS, IVF_STORAGES, TRAIN_PER_LIST } from '../../index/ivf.js';
import { percentile, recallAtK } from '../../index/recall.js';
import { loadIndex } from '../../index/load.js';
import { runWorker } from '../../tasks.js';
import type { SearchJob, SearchRun } from '../../index/search-worker.js';
import { withInterrupt } from '../../signals.js';
import { LIMITS } from '../../limits.js';
import { commonOptions, kOption, parseOptions, wholeNumber } from '../options.js';
import { formatBytes, keyValueTable, printJson, say } from '../output.js';
import { Progress } from '../progress.js';
import { checkOutputExtension, planOutputs } from '../outputs.js';
import { formatSpec, parseSpec } from '../../spec.js';
import { addCommonOptions, backendLabel, chooseBackend } from './common.js';

const metricNames = Object.keys(INDEX_METRICS) as ['l2', 'ip', 'cosine'];
const storageNames = Object.keys(STORAGES) as [Storage, ...Storage[]];
const formatOption = z.enum(VECTOR_FORMATS, { error: (i) => `--format: expected one of ${VECTOR_FORMATS.join(', ')}, got '${String(i.input)}'` }).optional();

const buildOptions = commonOptions.extend({
  output: z.string({ error: '-o, --output: required (the .vidx index file to write)' }).min(1),
  type: z.enum(['hnsw', 'flat', 'ivf'], { error: (i) => `--type: expected hnsw, ivf or flat, got '${String(i.input)}'` }).default('hnsw'),
  nlist: wholeNumber('--nlist', 1, 1 << 24).optional(),
  trainSize: wholeNumber('--train-size', 1, 2 ** 31 - 1).optional(),
  iterations: wholeNumber('--iterations', 1, 1000).default(DEFAULT_ITERATIONS),
  metric: z.enum(metricNames, { error: (i) => `--metric: expected one of ${metricNames.join(', ')}, got '${String(i.input)}'` }).default('l2'),
  m: wholeNumber('--m', 2, LIMITS.m).default(16),
  efConstruction: wholeNumber('--ef-construction', 1, LIMITS.ef).default(200),
  storage: z.enum(storageNames, { error: (i) => `--storage: expected one of ${storageNames.join(', ')}, got '${String(i.input)}'` }).default('f32'),
  keepVectors: z.boolean().default(false),
  seed: wholeNumber('--seed', 0, LIMITS.seed).default(42),
  format: formatOption,
});

const searchOptions = commonOptions.extend({
  k: kOption(10),
  ef: wholeNumber('--ef', 1, LIMITS.ef).optional(),
  nprobe: wholeNumber('--nprobe', 1, 1 << 24).optional(),
  rerank: wholeNumber('--rerank', 1, LIMITS.rerank).optional(),
  output: z.string().optional(),
  distances: z.string().optional(),
  groundtruth: z.string().optional(),
  mmap: z.boolean().default(false),
  cold: z.boolean().default(false),
  format: formatOption,
});

export function registerIndex(program: Command): void {
  const index = program.command('index').summary('build, search and describe ANN indexes (HNSW, IVF, exact flat)');

  const build = index
    .command('build')
    .summary('build an index over a vector file')
    .description(
      'Build an HNSW, IVF (k-means lists) or exact flat index over BASE and save it as a .vidx file (docs/format.md). ' +
        'Parameters, and how to choose them: docs/index.md.',
    )
    .argument('<base>', 'vector file to index')
    .option('-o, --output <file>', 'the .vidx file to write (required)')
    .option(
      '--spec <spec>',
      "the index as one spec string, e.g. 'hnsw,m=16,efc=200,storage=int8,keep=1' or 'ivf,nlist=1024,storage=rabitq4,keep=1' (the grammar of vectro recall --configs; index info prints a file's); instead of --type, --nlist, --m, --ef-construction, --storage and --keep-vectors",
    )
    .option('--type <type>', 'hnsw, ivf or flat (default: hnsw)')
    .option('--nlist <n>', 'ivf: lists (k-means cells; about 4 sqrt(n), see docs/index.md); required for --type ivf')
    .option('--train-size <n>', `ivf: vectors k-means trains on, sampled with --seed (default: ${TRAIN_PER_LIST} x nlist, or all)`)
    .option('--iterations <n>', `ivf: k-means iterations (default: ${DEFAULT_ITERATIONS})`)
    .option('--metric <name>', 'l2 (squared euclidean), ip (1 - a.b) or cosine', 'l2')
    .option('--m <n>', 'hnsw: links per node on upper layers (M; 2M on the bottom layer; default: 16)')
    .option('--ef-construction <n>', 'hnsw: candidate list while inserting (efConstruction; default: 200)')
    .option(
      '--storage <kind>',
      'f32 (the default); int8 (1 byte per value, distances on the codes); binary (1 bit per value, hamming); rabitq1..rabitq8 (RaBitQ codes of 1-8 bits per value, estimated distances with error bounds)',
    )
    .option(
      '--keep-vectors',
      'int8/binary/rabitq: also store the float32 vectors, so that search --rerank can re-score exactly (rabitq: and build the graph on them, not on the reconstructions)',
    )
    .option('--seed <n>', 'seed of the level generator (same seed and --threads 1: the same index)', '42')
    .option('--format <name>', 'input format when the extension does not say');
  addCommonOptions(build).action(async (basePath: string, given: Record<string, unknown>) => {
    const raw = withSpec(given);
    const opts = parseOptions(buildOptions, raw);
    checkOutputExtension('-o', opts.output, ['.vidx'], 'indexes are written as .vidx');
    if (opts.type === 'flat' && opts.storage !== 'f32') throw new UsageError(`--storage ${opts.storage}: flat indexes store f32 vectors (exact search)`);
    if (opts.keepVectors && opts.storage === 'f32')
      throw new UsageError('--keep-vectors: applies to --storage int8, binary or rabitq1..8 (an f32 index holds its vectors already)');
    const ivf = opts.type === 'ivf';
    if (!ivf && (opts.nlist !== undefined || opts.trainSize !== undefined)) throw new UsageError('--nlist and --train-size: apply to --type ivf');
    if (!ivf && given.iterations !== undefined) throw new UsageError('--iterations: applies to --type ivf');
    if (opts.type !== 'hnsw' && (raw.m !== undefined || raw.efConstruction !== undefined))
      throw new UsageError(`--m and --ef-construction: apply to --type hnsw (this is --type ${opts.type})`);
    if (ivf && opts.nlist === undefined)
      throw new UsageError('--nlist: required for --type ivf (the number of k-means lists; about 4 sqrt(n), see docs/index.md)');
    if (ivf && !(IVF_STORAGES as readonly string[]).includes(opts.storage))
      throw new UsageError(`--storage ${opts.storage}: an ivf index stores ${IVF_STORAGES.join(', ')}`);
    const { count, dim } = await VectorReader.probe(basePath, opts.format);
    if (ivf) checkIvfSizes(opts.nlist!, opts.trainSize, count, basePath);
    // At least the vectors and codes; the graph adds at least a byte per node.
    const m = opts.type === 'hnsw' ? opts.m : 0;
    const bytes = indexFileBytes({ count, dim, m, storage: opts.storage, keepVectors: opts.keepVectors, nlist: opts.nlist }, m > 0 ? count : 0);
    await planOutputs([basePath], [{ flag: '-o', path: opts.output, bytes, binary: true }]);
    const backend = chooseBackend(opts.backend, opts.quiet);
    const progress = new Progress(!opts.quiet);
    progress.start('reading vectors');
    const started = performance.now();
    const job: BuildJob = {
      basePath,
      format: opts.format,
      type: opts.type,
      metric: opts.metric,
      m: opts.m,
      efConstruction: opts.efConstruction,
      storage: opts.storage,
      keepVectors: opts.keepVectors,
      seed: opts.seed,
      backend: backend.name,
      threads: opts.threads,
      nlist: opts.nlist,
      trainSize: opts.trainSize,
      iterations: opts.iterations,
    };
    const data = await withInterrupt(async (signal) => {
      const d = await runWorker<IndexData>(
        new URL('../../index/build-worker.js', import.meta.url),
        job,
        (done, total, stage) => progress.update(stage ?? 'inserting', done, total),
        signal,
      );
      const bytes = await writeIndex(opts.output, d, signal);
      return { d, bytes };
    }).finally(() => progress.stop());
    const seconds = (performance.now() - started) / 1000;
    const threads = opts.type !== 'flat' && backend.name === 'native' ? opts.threads : 1;
    const report = { output: opts.output, ...describe(data.d, data.bytes), backend: backend.name, threads, seconds, insertsPerSecond: data.d.count / seconds };
    if (opts.json) printJson(report);
    else if (!opts.quiet)
      say(
        infoTable({
          ...report,
          backend: backendLabel(backend, opts.backend, threads),
          time: `${seconds.toFixed(2)} s (${formatRate(report.insertsPerSecond)} inserts/s, reading included)`,
        }),
      );
  });

  const search = index
    .command('search')
    .summary('search an index with a file of queries; QPS, latency and recall')
    .description(
      'Search INDEX for the k nearest neighbours of every query. Times one query per call on one thread (QPS and ' +
        'latency p50/p95/p99) and a batch over --threads; with --groundtruth, reports recall@k.',
    )
    .argument('<index>', '.vidx file')
    .argument('<queries>', 'vector file of queries')
    .option('-k <n>', 'neighbours per query', '10')
    .option('--ef <n>', 'HNSW search width (ef), at least k (default: max(64, k))')
    .option('--nprobe <n>', 'IVF: lists scanned per query, nearest centroids first (default: 16, or nlist if fewer)')
    .option(
      '--rerank <n>',
      're-score the n best candidates with the kept float32 vectors (int8/binary/rabitq indexes built with --keep-vectors; n >= k; HNSW: widens the search to n if ef is smaller)',
    )
    .option('-o, --output <file>', 'write the ids, one .ivecs record per query, nearest first')
    .option('--distances <file>', 'write the distances as .fvecs')
    .option('--groundtruth <file>', '.ivecs of true neighbours (e.g. from vectro groundtruth): report recall@k')
    .option(
      '--mmap',
      'IVF, native backend: map the index file instead of reading it; lists are read when scanned, so an index larger than memory can be searched',
    )
    .option('--cold', 'with --mmap (Linux): drop the index file from the page cache first, to measure searches that read from disk')
    .option('--format <name>', 'queries format when the extension does not say');
  addCommonOptions(search).action(async (indexPath: string, queriesPath: string, raw: unknown) => {
    const opts = parseOptions(searchOptions, raw);
    const ef = opts.ef ?? Math.max(64, opts.k);
    if (ef < opts.k) throw new UsageError(`--ef ${ef}: must be at least k (${opts.k})`);
    if (opts.rerank !== undefined && opts.rerank < opts.k) throw new UsageError(`--rerank ${opts.rerank}: must be at least k (${opts.k})`);
    if (opts.output) checkOutputExtension('-o', opts.output, ['.ivecs'], 'results are written as .ivecs');
    if (opts.distances) checkOutputExtension('--distances', opts.distances, ['.fvecs'], 'distances are written as .fvecs');
    const header = await probeIndex(indexPath);
    const { count: queryCount } = await VectorReader.probe(queriesPath, opts.format);
    const resultBytes = queryCount * (opts.k + 1) * 4;
    await planOutputs(
      [indexPath, queriesPath, opts.groundtruth],
      [
        { flag: '-o', path: opts.output, bytes: resultBytes, binary: true },
        { flag: '--distances', path: opts.distances, bytes: resultBytes, binary: true },
      ],
    );
    if (opts.k > header.count) throw new UsageError(`-k ${opts.k}: the index holds only ${header.count} vectors`);
    const truth = opts.groundtruth ? await readTruthFile(opts.groundtruth) : undefined;
    if (truth) checkTruth(truth, `--groundtruth ${opts.groundtruth}`, { queries: queryCount, base: header.count, k: opts.k, sameCount: true });
    const backend = chooseBackend(opts.backend, opts.quiet);
    const progress = new Progress(!opts.quiet);
    progress.start('loading the index');
    if (opts.nprobe !== undefined && header.type !== 'ivf') throw new UsageError(`--nprobe: applies to IVF indexes (${indexPath} is ${header.type})`);
    if (opts.ef !== undefined && header.type === 'ivf') throw new UsageError(`--ef: applies to HNSW indexes (${indexPath} is ivf: use --nprobe)`);
    if (opts.mmap && header.type !== 'ivf') throw new UsageError(`--mmap: applies to IVF indexes (${indexPath} is ${header.type})`);
    if (opts.cold && !opts.mmap) throw new UsageError('--cold: applies with --mmap');
    if (opts.mmap && backend.name !== 'native') throw new UsageError('--mmap: needs the native backend (the js baseline reads the whole index)');
    const job: SearchJob = {
      indexPath,
      queriesPath,
      format: opts.format,
      k: opts.k,
      ef,
      nprobe: opts.nprobe,
      rerank: opts.rerank ?? 0,
      threads: opts.threads,
      backend: backend.name,
      mmap: opts.mmap,
      cold: opts.cold,
    };
    const run = await withInterrupt((signal) =>
      runWorker<SearchRun>(new URL('../../index/search-worker.js', import.meta.url), job, (d, t) => progress.update('searching', d, t), signal),
    ).finally(() => progress.stop());
    await writeFilesAtomic([
      ...(opts.output ? [{ path: opts.output, data: texmexRecords(run.ids, opts.k) }] : []),
      ...(opts.distances ? [{ path: opts.distances, data: texmexRecords(run.distances, opts.k) }] : []),
    ]);
    const total = run.latencies.reduce((s, v) => s + v, 0) / 1000;
    // The js baseline searches a batch on one thread whatever --threads says.
    const batchThreads = backend.name === 'native' ? opts.threads : 1;
    const report = {
      index: indexPath,
      type: run.type,
      queries: run.queries,
      k: opts.k,
      ef: run.type === 'hnsw' ? ef : null,
      nprobe: run.nprobe ?? null,
      rerank: opts.rerank ?? null,
      backend: backend.name,
      qps: run.queries / total,
      batch_qps: run.queries / run.batchSeconds,
      threads: batchThreads,
      p50_ms: percentile(run.latencies, 50),
      p95_ms: percentile(run.latencies, 95),
      p99_ms: percentile(run.latencies, 99),
      distances_per_query: run.distanceComputations / run.queries,
      recall: truth ? recallAtK(run.ids, truth, opts.k) : null,
      mmap: opts.mmap,
      cold: opts.cold,
      index_bytes: run.fileBytes,
      rss_bytes: run.rss,
    };
    if (opts.json) return printJson(report);
    if (opts.quiet) return;
    say(
      keyValueTable([
        ['index', `${indexPath} (${run.type}, ${run.count.toLocaleString('en-US')} vectors)`],
        [
          run.type === 'ivf' ? 'queries, k, nprobe' : 'queries, k, ef',
          `${run.queries.toLocaleString('en-US')}, ${opts.k}, ${report.nprobe ?? report.ef ?? 'exact'}${opts.rerank ? `, rerank ${opts.rerank}` : ''}`,
        ],
        ['QPS (1 thread)', `${formatRate(report.qps)}  (batch on ${batchThreads} thread${batchThreads === 1 ? '' : 's'}: ${formatRate(report.batch_qps)})`],
        ['latency p50/p95/p99', `${report.p50_ms.toFixed(3)} / ${report.p95_ms.toFixed(3)} / ${report.p99_ms.toFixed(3)} ms`],
        ['distances per query', report.distances_per_query.toFixed(0)],
        [`recall@${opts.k}`, report.recall === null ? 'n/a (pass --groundtruth)' : report.recall.toFixed(4)],
        [
          'resident memory (process)',
          `${mb(run.rss.before)} before loading, ${mb(run.rss.loaded)} loaded, ${mb(run.rss.searched)} after searching; index file ${mb(run.fileBytes)}${opts.mmap ? `, mapped${opts.cold ? ', from a cold cache' : ''}` : ''}`,
        ],
      ]),
    );
  });

  index
    .command('verify')
    .summary('check a whole index file: header, checksums, every value, the lists or graph')
    .description(
      'Read INDEX whole and check everything a load checks (header fields, the file checksum and, for IVF, the ' +
        "directory checksum, every vector, factor and id), then rebuild the index's structure. What a memory-mapped " +
        'search (index search --mmap) does not check before it reads a list, this does. Exits 1 on the first problem.',
    )
    .argument('<index>', '.vidx file')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (indexPath: string, raw: { json?: boolean }) => {
      const t0 = performance.now();
      const { index, fileBytes } = await loadIndex(indexPath);
      const report = { index: indexPath, ok: true, type: index.type, count: index.count, bytes: fileBytes, seconds: (performance.now() - t0) / 1000 };
      if (raw.json) printJson(report);
      else
        say(
          `ok: ${indexPath} (${index.type}, ${index.count.toLocaleString('en-US')} vectors, ${formatBytes(fileBytes)}): header, checksums, values and structure check out`,
        );
    });

  index
    .command('info')
    .summary('describe an index file')
    .argument('<index>', '.vidx file')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (indexPath: string, raw: { json?: boolean }) => {
      const d = await readIndex(indexPath);
      const report = { index: indexPath, ...describe(d, d.fileBytes) };
      if (raw.json) printJson(report);
      else say(infoTable(report));
    });
}

/** The flags a build spec stands for (`--spec` and them are exclusive): the options as if typed. */
const SPEC_FLAGS = {
  type: '--type',
  nlist: '--nlist',
  m: '--m',
  efConstruction: '--ef-construction',
  storage: '--storage',
  keepVectors: '--keep-vectors',
} as const;

function withSpec(given: Record<string, unknown>): Record<string, unknown> {
  if (given.spec === undefined) return given;
  const both = Object.entries(SPEC_FLAGS).find(([key]) => given[key] !== undefined);
  if (both) throw new UsageError(`--spec: give the index in the spec or as flags, not both (${both[1]})`);
  const spec = parseSpec(String(given.spec), '--spec');
  if (spec.type === 'faiss')
    throw new UsageError(`--spec '${given.spec}': a faiss: spec runs on the FAISS peer (vectro recall); index build builds vectro's own indexes`);
  const keys: Record<string, unknown> = { type: spec.type, storage: spec.storage, keepVectors: spec.keep || undefined };
  if (spec.type === 'hnsw') Object.assign(keys, { m: String(spec.m), efConstruction: String(spec.efConstruction) });
  if (spec.type === 'ivf') keys.nlist = String(spec.nlist);
  return { ...given, ...keys };
}

/** The spec string of an index file: what `index build --spec` takes to build it again. */
export function specOf(d: Pick<IndexData, 'type' | 'm' | 'efConstruction' | 'storage' | 'keepVectors' | 'nlist'>): string {
  return formatSpec({ type: d.type, m: d.m, efConstruction: d.efConstruction, nlist: d.nlist, storage: d.storage, keep: d.keepVectors, rerank: 0 });
}

/** An index's shape: parameters, sizes, nodes per level, mean bottom-layer degree. */
function describe(d: IndexData, bytes: number) {
  const nodesPerLevel: number[] = [];
  for (const l of d.levels) for (let i = 0; i <= l; i++) nodesPerLevel[i] = (nodesPerLevel[i] ?? 0) + 1;
  let links = 0;
  for (let i = 0; i < d.count && d.m > 0; i++) links += d.links0[i * (1 + 2 * d.m)];
  return {
    spec: specOf(d),
    type: d.type,
    metric: d.metric,
    storage: d.storage,
    keepVectors: d.keepVectors,
    count: d.count,
    dim: d.dim,
    m: d.type === 'hnsw' ? d.m : null,
    efConstruction: d.type === 'hnsw' ? d.efConstruction : null,
    nlist: d.type === 'ivf' ? d.nlist! : null,
    listSizes: d.type === 'ivf' ? listSizeStats(d.sizes!) : null,
    levels: d.type === 'hnsw' ? nodesPerLevel : null,
    meanDegree: d.type === 'hnsw' && d.count > 0 ? links / d.count : null,
    bytes,
  };
}

function infoTable(r: ReturnType<typeof describe> & { index?: string; output?: string; backend?: string; time?: string }): string {
  const rows: [string, string][] = [
    [r.output ? 'output' : 'index', (r.output ?? r.index)!],
    ['spec (index build --spec)', r.spec],
    ['type, metric, storage', `${r.type}, ${r.metric}, ${r.storage}${r.keepVectors ? ' + float32 vectors' : ''}`],
    ['vectors x dim', `${r.count.toLocaleString('en-US')} x ${r.dim}`],
  ];
  if (r.type === 'hnsw') {
    rows.push(['M, efConstruction', `${r.m}, ${r.efConstruction}`]);
    rows.push(['nodes per level', r.levels!.map((n, l) => `${l}: ${n.toLocaleString('en-US')}`).join(', ')]);
    rows.push(['mean degree (bottom layer)', (r.meanDegree ?? 0).toFixed(2)]);
  }
  if (r.type === 'ivf') {
    const s = r.listSizes!;
    rows.push(['nlist', r.nlist!.toLocaleString('en-US')]);
    rows.push(['list sizes (min/median/max)', `${s.min} / ${s.median} / ${s.max}${s.empty > 0 ? ` (${s.empty} empty)` : ''}`]);
  }
  rows.push(['bytes', formatBytes(r.bytes)]);
  if (r.backend) rows.push(['backend', r.backend]);
  if (r.time) rows.push(['time', r.time]);
  return keyValueTable(rows);
}

/** Bytes in MB (10^6), one decimal: resident memory figures, which drift by more than that. */
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** IVF's size rules, checked before any work: 1 <= nlist <= vectors, nlist <= training sample <= vectors. */
function checkIvfSizes(nlist: number, trainSize: number | undefined, count: number, basePath: string): void {
  if (nlist > count) throw new UsageError(`--nlist ${nlist}: ${basePath} holds ${count} vectors; k-means needs at least one per list`);
  if (trainSize !== undefined && trainSize < nlist)
    throw new UsageError(
      `--train-size ${trainSize}: too small for --nlist ${nlist}; it needs at least ${nlist} vectors (one per list; ${TRAIN_PER_LIST * nlist} is the default)`,
    );
  if (trainSize !== undefined && trainSize > count) throw new UsageError(`--train-size ${trainSize}: ${basePath} holds only ${count} vectors`);
}

/** The spread of an IVF index's list lengths. */
function listSizeStats(sizes: Uint32Array): { min: number; median: number; max: number; empty: number } {
  const sorted = Uint32Array.from(sizes).sort();
  return { min: sorted[0] ?? 0, median: sorted[sorted.length >> 1] ?? 0, max: sorted[sorted.length - 1] ?? 0, empty: sizes.filter((s) => s === 0).length };
}
