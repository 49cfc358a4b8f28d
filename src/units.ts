/** 48_300_000 -> "48.3M"; 213.4 -> "213"; 0.0123 -> "0.0123". */
export function formatRate(v: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) if (Math.abs(v) >= scale) return `${Number((v / scale).toPrecision(3))}${suffix}`;
  return String(Number(v.toPrecision(3)));
}

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
