import Table from 'cli-table3';

/** 5160000 -> "5.16 MB (5,160,000 bytes)". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(2)} ${units[u]} (${n.toLocaleString('en-US')} bytes)`;
}

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
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
