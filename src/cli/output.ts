import Table from 'cli-table3';

export { formatBytes } from '../export/format.js';

/** Six significant digits, or "n/a" for a value that does not exist (e.g. no vectors). */
export function formatNumber(n: number | null): string {
  return n === null ? 'n/a' : Number(n.toPrecision(6)).toString();
}

/** A two-column table of labelled values. */
export function keyValueTable(rows: [string, string][]): string {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [k, v] of rows) table.push({ [k]: v });
  return table.toString();
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
