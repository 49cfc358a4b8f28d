/** Distance metrics; the ids are the native ones (crates/vectro-core/src/distance/mod.rs). */
export const METRICS = { l2sq: 0, dot: 1, cosine: 2, manhattan: 3, hamming: 4 } as const;
export type MetricName = keyof typeof METRICS;

/**
 * Vectors by element type: Float32Array (float32), Int8Array (int8 codes) or Uint8Array (packed
 * bits, for hamming). float32 results differ between backends in the last bits (summation order);
 * int8 and hamming results are exact integers and agree exactly.
 */
export type Vectors = Float32Array | Int8Array | Uint8Array;

export function metricsFor(v: Vectors): readonly MetricName[] {
  if (v instanceof Float32Array) return ['l2sq', 'dot', 'cosine', 'manhattan'];
  if (v instanceof Int8Array) return ['l2sq', 'dot', 'cosine'];
  return ['hamming'];
}

export function checkMetric(metric: MetricName, v: Vectors): void {
  if (!metricsFor(v).includes(metric)) {
    throw new RangeError(`metric ${metric} does not apply to ${v.constructor.name} vectors`);
  }
}

/** `1 - dot / sqrt(na * nb)`, 1 when either norm is zero: the shared cosine finish. */
export function cosineFrom(dot: number, na: number, nb: number): number {
  return na === 0 || nb === 0 ? 1 : Math.fround(1 - dot / Math.sqrt(na * nb));
}

/**
 * How an index ranks vectors, smaller is nearer: l2 is the squared euclidean distance, ip the
 * distance `1 - a.b` (as hnswlib has it), cosine `1 - cos(a, b)`. Ids are the native ones.
 */
export const INDEX_METRICS = { l2: 0, ip: 1, cosine: 2 } as const;
export type IndexMetricName = keyof typeof INDEX_METRICS;
