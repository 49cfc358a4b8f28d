/** What every contender (a peer or one of vectro's backends) answers is checked here before it counts: the evaluation layer, below recall and bench. */
import { AnswerError } from '../errors.js';

/** The id that marks "no result" (FAISS's -1 read as u32): allowed only after the last real result. */
export const NO_RESULT = 0xffffffff;

/**
 * Checks the ids (and, where the contender gives them, the distances, smaller first) of `queries`
 * results of `k` each against an index of `count` vectors. Every row must hold ids in range, each
 * at most once, real results before any NO_RESULT, and finite distances that never decrease.
 * Throws AnswerError naming `contender` and the first query at fault.
 */
export function checkResults(contender: string, ids: Uint32Array, queries: number, k: number, count: number, distances?: Float32Array): void {
  const fail = (what: string) => new AnswerError(`${contender}: ${what}; its results are refused`);
  if (ids.length !== queries * k) throw fail(`returned ${ids.length} ids for ${queries} queries x k = ${k}`);
  if (distances && distances.length !== ids.length) throw fail(`returned ${distances.length} distances for ${ids.length} ids`);
  const seen = new Set<number>();
  for (let q = 0; q < queries; q++) {
    seen.clear();
    let ended = false;
    for (let j = 0; j < k; j++) {
      const id = ids[q * k + j];
      if (id === NO_RESULT) {
        ended = true;
        continue;
      }
      if (ended) throw fail(`query ${q} has a result (id ${id}) after a missing one`);
      if (id >= count) throw fail(`query ${q} returned id ${id}, but the index holds ids 0 to ${count - 1}`);
      if (seen.has(id)) throw fail(`query ${q} returned id ${id} twice`);
      seen.add(id);
      if (!distances) continue;
      const d = distances[q * k + j];
      if (!Number.isFinite(d)) throw fail(`query ${q} returned distance ${d} for id ${id}`);
      if (j > 0 && d < distances[q * k + j - 1]) throw fail(`query ${q}'s distances are not in order (${distances[q * k + j - 1]} before ${d})`);
    }
  }
}

/** Checks a contender's own timing figures: positive finite rates, a latency per timed query. */
export function checkTiming(contender: string, t: { qps: number; timed: number; latencies: Float64Array; batchQps: number | null }, queries: number): void {
  const fail = (what: string) => new AnswerError(`${contender}: ${what}; its results are refused`);
  if (!(Number.isFinite(t.qps) && t.qps > 0)) throw fail(`reported ${t.qps} queries per second`);
  if (!(Number.isInteger(t.timed) && t.timed >= 1 && t.timed <= queries)) throw fail(`reported ${t.timed} timed queries of ${queries}`);
  if (t.latencies.length !== t.timed) throw fail(`reported ${t.latencies.length} latencies for ${t.timed} timed queries`);
  if (t.latencies.some((l) => !(l >= 0 && Number.isFinite(l)))) throw fail('reported a latency that is negative or not a number');
  if (t.batchQps !== null && !(Number.isFinite(t.batchQps) && t.batchQps > 0)) throw fail(`reported ${t.batchQps} batch queries per second`);
}

/** Checks a contender's build figures: seconds, bytes and memory are finite and not negative, bytes positive. */
export function checkBuild(contender: string, b: { build_seconds: number; index_bytes: number; peak_rss_bytes: number }): void {
  const fail = (what: string) => new AnswerError(`${contender}: ${what}; its results are refused`);
  if (!(Number.isFinite(b.build_seconds) && b.build_seconds >= 0)) throw fail(`reported a build time of ${b.build_seconds} s`);
  if (!(Number.isFinite(b.index_bytes) && b.index_bytes > 0)) throw fail(`reported an index of ${b.index_bytes} bytes`);
  if (!(Number.isFinite(b.peak_rss_bytes) && b.peak_rss_bytes >= 0)) throw fail(`reported a peak memory of ${b.peak_rss_bytes} bytes`);
}
