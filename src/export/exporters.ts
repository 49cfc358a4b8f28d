import Table from 'cli-table3';
import type { BenchFile, BenchResult, Machine } from '../bench/schema.js';
import { outputTarget, writeFileAtomic } from '../formats/atomic.js';
import { FLAG_LEGEND, suiteTables, type TableModel } from './table.js';

/** A machine's one-line description, for table headers. */
export function machineLine(m: Omit<Machine, 'size'> & { size?: Machine['size'] }): string {
  const peak = m.peak_gflops_per_core ? `, measured peak ${m.peak_gflops_per_core.toFixed(0)} GFLOP/s per core` : '';
  const commit = m.commit ? `, commit ${m.commit.slice(0, 10)}` : '';
  return `${m.cpu} (${m.cores} cores, ${m.simd}${peak}); Node ${m.node}; vectro ${m.vectro}${commit}; ${m.date}; seed ${m.seed}${m.size ? `; ${m.size} sizes` : ''}`;
}

export function renderTerminalTable(t: TableModel): string {
  const table = new Table({ head: t.header, style: { head: [], border: [] } });
  table.push(...t.rows);
  return table.toString();
}

export function renderJson(file: BenchFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** A table as Markdown lines: the first `leftColumns` columns left-aligned, the rest (numbers) right. */
export function markdownTable(t: TableModel, leftColumns: number): string[] {
  const escapePipes = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${t.header.map(escapePipes).join(' | ')} |`,
    `| ${t.header.map((_, i) => (i < leftColumns ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((row) => `| ${row.map(escapePipes).join(' | ')} |`),
  ];
}

/** One CSV field: empty for null, quoted when it holds a comma, quote or newline. */
export function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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

/**
 * An export destination: a file rewritten (atomically) after every result, so an interrupted run
 * keeps what it measured, or `-` for stdout, written once at the end. Commands check the path before
 * their work starts; a write that still fails (a full disk) is reported once, by `finish`, after the
 * run has printed its results.
 */
export class ExportTarget<F = BenchFile> {
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    readonly path: string,
    private readonly render: (file: F) => string,
  ) {}

  get toStdout(): boolean {
    return this.path === '-';
  }

  /** stdout, a device or a FIFO: written once, at the end, in place (see AtomicFile). */
  private get stream(): boolean {
    const target = outputTarget(this.path);
    return 'kind' in target && target.kind === 'stream';
  }

  /** Queues a rewrite with the results so far (writes never overlap). */
  update(file: F): Promise<void> {
    if (this.stream) return this.pending;
    const text = this.render(file);
    this.pending = this.pending
      .then(() => (this.failure === undefined ? writeFileAtomic(this.path, text) : undefined))
      .catch((err: unknown) => {
        this.failure = err;
      });
    return this.pending;
  }

  async finish(file: F): Promise<void> {
    if (this.toStdout) process.stdout.write(this.render(file));
    else if (this.stream) {
      await this.pending;
      if (this.failure === undefined) await writeFileAtomic(this.path, this.render(file)).catch((err: unknown) => (this.failure = err));
    } else await this.update(file);
    if (this.failure !== undefined) throw this.failure;
  }
}
