import Table from 'cli-table3';
import { isStreamOutput, writeFileAtomic } from '../formats/atomic.js';
import type { TableModel } from './table.js';

export function renderTerminalTable(t: TableModel): string {
  const table = new Table({ head: t.header, style: { head: [], border: [] } });
  table.push(...t.rows);
  return table.toString();
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

/**
 * An export destination: a file rewritten (atomically) after every result, so an interrupted run
 * keeps what it measured, or `-` for stdout, written once at the end. Commands check the path before
 * their work starts; a write that still fails (a full disk) is reported once, by `finish`, after the
 * run has printed its results.
 */
export class ExportTarget<F> {
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** stdout, a device or a FIFO: written once, at the end, in place (see AtomicFile). */
  private readonly stream: boolean;

  constructor(
    readonly path: string,
    private readonly render: (file: F) => string,
  ) {
    this.stream = isStreamOutput(path);
  }

  get toStdout(): boolean {
    return this.path === '-';
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
