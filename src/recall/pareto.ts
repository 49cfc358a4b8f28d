import type { PointResult } from './schema.js';

/**
 * The Pareto frontier of recall against QPS: the points no other point beats on both, sorted by
 * recall. These are the settings worth choosing; the rest are slower for no recall gained.
 */
export function paretoFrontier<P extends Pick<PointResult, 'recall' | 'qps'>>(points: P[]): P[] {
  const byRecall = [...points].sort((a, b) => b.recall - a.recall || b.qps - a.qps);
  const frontier: P[] = [];
  let best = -Infinity;
  for (const p of byRecall) {
    if (p.qps > best) {
      frontier.push(p);
      best = p.qps;
    }
  }
  return frontier.reverse();
}

/** The highest QPS reached at recall >= `target`, with the ef that gave it; undefined when none does. */
export function qpsAtRecall<P extends Pick<PointResult, 'recall' | 'qps' | 'ef'>>(points: P[], target: number): P | undefined {
  let best: P | undefined;
  for (const p of paretoFrontier(points)) if (p.recall >= target && (!best || p.qps > best.qps)) best = p;
  return best;
}

/** The recall levels the summary reads off each frontier. */
export const SUMMARY_RECALLS = [0.9, 0.95, 0.99];
