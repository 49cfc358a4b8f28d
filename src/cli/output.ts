import Table from 'cli-table3';

export { formatBytes } from '../units.js';

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

/** Where a command's report (tables, JSON) goes: stdout, unless the command writes its data there (`-o -`). */
let reportStream: NodeJS.WriteStream = process.stdout;

/** Reports go to stdout (each command line starts so). */
export function reportsToStdout(): void {
  reportStream = process.stdout;
}

/** Sends reports to stderr from now on: stdout carries the command's binary output. */
export function reportsToStderr(): void {
  reportStream = process.stderr;
}

/** Prints a line of a command's report. */
export function say(text: string): void {
  reportStream.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  reportStream.write(`${JSON.stringify(value, null, 2)}\n`);
}
