import { describeDifficulty } from '../datasets/difficulty.js';
import { formatRate } from '../units.js';
import type { TableModel } from '../export/table.js';
import { csvCell, markdownTable } from '../export/exporters.js';
import { machineLine } from '../evaluation/machine.js';
import { qpsAtRecall, SUMMARY_RECALLS } from './pareto.js';
import type { BuildResult, PointResult, RecallFile } from './schema.js';

/** Each configuration with the backends that ran it, in the order they ran. */
export function runsOf(file: RecallFile): { config: string; backend: string }[] {
  const seen = new Set<string>();
  const out: { config: string; backend: string }[] = [];
  for (const r of [...file.builds, ...file.points]) {
    const key = `${r.config}\0${r.backend}`;
    if (!seen.has(key)) out.push({ config: r.config, backend: r.backend }), seen.add(key);
  }
  return out;
}

const pointsOf = (file: RecallFile, config: string, backend: string) => file.points.filter((p) => p.config === config && p.backend === backend);
const ms = (v: number) => (v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const recallCell = (v: number | null) => (v === null ? '-' : v.toFixed(4));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function buildLine(b: BuildResult): string {
  return `built in ${b.build_seconds.toFixed(2)} s on ${b.threads} thread${b.threads > 1 ? 's' : ''}, index ${mb(b.index_bytes)}, peak memory ${mb(b.peak_rss_bytes)}`;
}

/** One configuration on one backend: a row per ef. */
export function configTable(file: RecallFile, config: string, backend: string): TableModel {
  const points = pointsOf(file, config, backend);
  const levels = ([1, 10, 100] as const).filter((r) => points.some((p) => p[`recall_${r}`] !== null));
  const batchThreads = points[0]?.batch_threads ?? 1;
  return {
    suite: `${config} [${backend}]`,
    header: [
      points[0]?.sweep ?? 'ef',
      ...levels.map((r) => `recall@${r}`),
      'QPS (1 thread)',
      `QPS (batch, ${batchThreads} thr)`,
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'dist/query',
    ],
    rows: points.map((p) => [
      p.ef === null ? 'exact' : String(p.ef),
      ...levels.map((r) => recallCell(p[`recall_${r}`])),
      formatRate(p.qps),
      p.batch_qps === null ? '-' : formatRate(p.batch_qps),
      ms(p.p50_ms),
      ms(p.p95_ms),
      ms(p.p99_ms),
      p.distances_per_query === null ? '-' : formatRate(p.distances_per_query),
    ]),
  };
}

/** QPS (one thread) at recall 0.90, 0.95 and 0.99 for every run, from its Pareto frontier, plus its build. */
export function summaryTable(file: RecallFile): TableModel {
  const k = file.dataset.k;
  return {
    suite: 'summary',
    header: ['config', 'backend', ...SUMMARY_RECALLS.map((r) => `QPS @ recall@${k} ${r.toFixed(2)}`), 'best recall', 'build s', 'index', 'peak memory'],
    rows: runsOf(file).map(({ config, backend }) => {
      const points = pointsOf(file, config, backend);
      const build = file.builds.find((b) => b.config === config && b.backend === backend);
      const best = points.reduce((m, p) => Math.max(m, p.recall), 0);
      return [
        config,
        backend,
        ...SUMMARY_RECALLS.map((r) => {
          const p = qpsAtRecall(points, r);
          return p ? `${formatRate(p.qps)}${p.ef === null ? '' : ` (${p.sweep ?? 'ef'} ${p.ef})`}` : points.length > 0 ? 'not reached' : '-';
        }),
        points.length > 0 ? best.toFixed(4) : '-',
        build ? build.build_seconds.toFixed(1) : '-',
        build ? mb(build.index_bytes) : '-',
        build ? mb(build.peak_rss_bytes) : '-',
      ];
    }),
  };
}

export function datasetLine(file: RecallFile): string {
  const d = file.dataset;
  const line = `${d.name}: ${d.count.toLocaleString('en-US')} x ${d.dim} base vectors, ${d.queries.toLocaleString('en-US')} queries, ${d.metric}, k = ${d.k}, true neighbours ${d.truth === 'file' ? "from the dataset's file" : 'computed by exact search'}`;
  return d.difficulty ? `${line}\ndifficulty: ${describeDifficulty(d.difficulty)} (lower contrast and higher LID: harder)` : line;
}

export const RECALL_LEGEND =
  'recall@r: share of the first r results within 1e-3 of the r-th true distance (ann-benchmarks). QPS (1 thread): one query per call; ' +
  'batch: all queries in one call. Latencies are per single query. Summary: the best one-thread QPS among settings reaching the recall (Pareto frontier).';

export function renderRecallMarkdown(file: RecallFile, command?: string): string {
  const parts = ['# vectro recall', '', machineLine(file.machine), '', datasetLine(file), ''];
  if (command) parts.push('```', command, '```', '');
  parts.push('## Summary', '', ...markdownTable(summaryTable(file), 2), '');
  for (const { config, backend } of runsOf(file)) {
    const build = file.builds.find((b) => b.config === config && b.backend === backend);
    parts.push(`## ${config} [${backend}]`, '');
    if (build) parts.push(buildLine(build), '');
    if (pointsOf(file, config, backend).length > 0) parts.push(...markdownTable(configTable(file, config, backend), 1), '');
  }
  parts.push(RECALL_LEGEND, '');
  return parts.join('\n');
}

const CSV_COLUMNS = [
  'config',
  'backend',
  'k',
  'ef',
  'recall',
  'recall_1',
  'recall_10',
  'recall_100',
  'qps',
  'timed_queries',
  'batch_qps',
  'batch_threads',
  'p50_ms',
  'p95_ms',
  'p99_ms',
  'distances_per_query',
] as const;
const BUILD_COLUMNS = ['build_seconds', 'index_bytes', 'peak_rss_bytes'] as const;

/** One row per point, with its build's figures and the dataset and machine repeated on each. */
export function renderRecallCsv(file: RecallFile): string {
  const quote = csvCell;
  const lines = [[...CSV_COLUMNS, ...BUILD_COLUMNS, 'dataset', 'relative_contrast', 'lid_20', 'cpu', 'commit', 'date'].join(',')];
  const hardness = [file.dataset.difficulty?.relative_contrast, file.dataset.difficulty?.lid_20].map(quote);
  for (const p of file.points) {
    const b = file.builds.find((x) => x.config === p.config && x.backend === p.backend);
    lines.push(
      [
        ...CSV_COLUMNS.map((c) => quote(p[c as keyof PointResult])),
        ...BUILD_COLUMNS.map((c) => quote(b?.[c])),
        quote(file.dataset.name),
        ...hardness,
        quote(file.machine.cpu),
        quote(file.machine.commit),
        quote(file.machine.date),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderRecallJson(file: RecallFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
