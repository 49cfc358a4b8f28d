import { DataError } from '../errors.js';
import { openInput } from '../formats/input.js';

/** Neighbour ids from an `.ivecs` ground-truth file: one record per query, as int32 (not floats). */
export async function readNeighbours(path: string): Promise<{ ids: Int32Array[]; width: number }> {
  const input = await openInput(path);
  let b: Buffer;
  try {
    b = await input.handle.readFile();
  } finally {
    await input.handle.close();
  }
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const ids: Int32Array[] = [];
  let width = -1;
  for (let at = 0; at < b.length; ) {
    if (at + 4 > b.length) throw new DataError(`${path}: truncated: a record header is cut off at byte ${at}`);
    const d = view.getInt32(at, true);
    if (d < 1 || at + 4 + 4 * d > b.length) throw new DataError(`${path}: record ${ids.length} (dimension ${d}) does not fit in the file`);
    if (width >= 0 && d !== width) throw new DataError(`${path}: record ${ids.length} has ${d} ids, but record 0 has ${width}`);
    width = d;
    ids.push(new Int32Array(b.buffer.slice(b.byteOffset + at + 4, b.byteOffset + at + 4 + 4 * d)));
    at += 4 + 4 * d;
  }
  return { ids, width };
}

/** recall@k: |returned top-k ∩ true top-k| / k, averaged over queries (as the field computes it). */
export function recallAtK(found: Uint32Array, truth: Int32Array[], k: number): number {
  let hits = 0;
  for (let q = 0; q < truth.length; q++) {
    const t = new Set(truth[q].subarray(0, k));
    for (let j = 0; j < k; j++) if (t.has(found[q * k + j])) hits++;
  }
  return hits / (truth.length * k);
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: Float64Array, p: number): number {
  const s = Float64Array.from(values).sort();
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
