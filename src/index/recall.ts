import type { Truth } from '../formats/truth.js';

/** recall@k: |returned top-k ∩ true top-k| / k, averaged over queries (as the field computes it). */
export function recallAtK(found: Uint32Array, truth: Truth, k: number): number {
  let hits = 0;
  for (let q = 0; q < truth.count; q++) {
    const t = new Set(truth.ids.subarray(q * truth.width, q * truth.width + k));
    // Each true neighbour counts once, however often it is returned.
    for (let j = 0; j < k; j++) if (t.delete(found[q * k + j])) hits++;
  }
  return hits / (truth.count * k);
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: Float64Array, p: number): number {
  const s = Float64Array.from(values).sort();
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
