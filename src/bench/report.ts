/** The bench results as tables and files: the terminal and Markdown tables, JSON and CSV (docs/bench.md). */
import { csvCell, markdownTable } from '../export/exporters.js';
import type { TableModel } from '../export/table.js';
import { machineLine } from '../evaluation/machine.js';
import { formatRate } from '../units.js';
import type { BenchFile, BenchResult, Machine } from './schema.js';

export const FLAG_LEGEND = '* outliers among the runs, ~ noisy (wide spread), ! first timed run much slower than the rest';

const BACKEND_ORDER = ['native', 'native-int8', 'js', 'hnswlib', 'usearch'];
const byBackendOrder = (a: string, b: string) => (BACKEND_ORDER.indexOf(a) + 1 || 99) - (BACKEND_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b);

/** `median [min-max]`, the case's natural extra (GB/s or share of peak), and flags. */
export function cell(r: BenchResult): string {
  const extra =
    r.recall !== undefined
      ? ` recall ${r.recall.toFixed(3)}`
      : r.index_bytes !== undefined
        ? ` ${formatRate(r.index_bytes)}B`
        : r.peak_share !== undefined
          ? ` ${Math.round(r.peak_share * 100)}% of peak`
          : r.gb_per_s !== undefined
            ? ` ${formatRate(r.gb_per_s)} GB/s`
            : '';
  const flags = `${r.outliers > 0 ? '*' : ''}${r.noisy ? '~' : ''}${r.first_run_slow ? '!' : ''}`;
  return `${formatRate(r.median)} [${formatRate(r.min)}-${formatRate(r.max)}]${extra}${flags ? ` ${flags}` : ''}`;
}

/** One table per suite: rows are cases, columns each backend's median, then native's speedup over each. */
export function suiteTables(file: BenchFile): TableModel[] {
  const suites = [...new Set(file.results.map((r) => r.suite))];
  return suites.map((suite) => {
    const results = file.results.filter((r) => r.suite === suite);
    const backends = [...new Set(results.map((r) => r.backend))].sort(byBackendOrder);
    // Native over each other backend (js, and the peers in the index suites).
    // native-int8 is compared with native f32 instead.
    const speedups: [string, string][] = backends.includes('native')
      ? backends.filter((b) => b !== 'native').map((b): [string, string] => (b === 'native-int8' ? [b, 'native'] : ['native', b]))
      : [];
    const cases = [...new Set(results.map((r) => r.case))];
    const rows = cases.map((name) => {
      const of = (b: string) => results.find((r) => r.case === name && r.backend === b);
      const first = results.find((r) => r.case === name)!;
      return [
        name,
        first.unit + (first.threads > 1 ? `, ${first.threads} thr` : ''),
        ...backends.map((b) => (of(b) ? cell(of(b)!) : '-')),
        ...speedups.map(([a, b]) => {
          const [ra, rb] = [of(a), of(b)];
          return ra && rb ? `${(ra.median / rb.median).toFixed(1)}x` : '-';
        }),
      ];
    });
    return { suite, header: ['case', 'unit', ...backends, ...speedups.map(([a, b]) => `${a}/${b}`)], rows };
  });
}

export function renderJson(file: BenchFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function renderMarkdown(file: BenchFile, descriptions: Record<string, string> = {}): string {
  const parts = [`# vectro bench`, '', machineLine(file.machine), ''];
  for (const t of suiteTables(file)) {
    parts.push(`## ${t.suite}`, '');
    if (descriptions[t.suite]) parts.push(descriptions[t.suite], '');
    parts.push(...markdownTable(t, 2), '');
  }
  parts.push(`Cells: median [min-max] over the timed runs. ${FLAG_LEGEND}.`, '');
  return parts.join('\n');
}

const CSV_COLUMNS: (keyof BenchResult)[] = [
  'suite',
  'case',
  'backend',
  'unit',
  'median',
  'mean',
  'stddev',
  'min',
  'max',
  'runs',
  'outliers',
  'noisy',
  'first_run_slow',
  'threads',
  'gb_per_s',
  'peak_share',
];
const MACHINE_COLUMNS: (keyof Machine)[] = ['cpu', 'simd', 'node', 'vectro', 'commit', 'date', 'seed'];

export function renderCsv(file: BenchFile): string {
  const quote = csvCell;
  const lines = [[...CSV_COLUMNS, ...MACHINE_COLUMNS].join(',')];
  for (const r of file.results) {
    lines.push([...CSV_COLUMNS.map((c) => quote(r[c])), ...MACHINE_COLUMNS.map((c) => quote(file.machine[c]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}
