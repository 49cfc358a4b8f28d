import type { MetricName } from '../../distance/metrics.js';
import { seeded, type BenchCase, type Suite } from '../suite.js';

/** FLOP per query-row pair and dimension: 2 for the dot-product metrics (one FMA), 3 for manhattan (docs/bench.md). */
const FLOP_PER_ELEMENT: Record<string, number> = { l2sq: 2, cosine: 2, manhattan: 3 };

export const matrixSuite: Suite = {
  name: 'matrix',
  description: 'queries x base distance matrices, blocked for cache and spread over the threads',
  cases(o) {
    const dim = o.dim ?? 128;
    const m = o.size === 'quick' ? 100 : 1000;
    const n = o.count ?? (o.size === 'quick' ? 2000 : o.size === 'default' ? 10_000 : 100_000);
    let data: { q: Float32Array; b: Float32Array; out: Float32Array } | undefined;
    const make = () => {
      const next = seeded(o.seed);
      data ??= {
        q: Float32Array.from({ length: m * dim }, () => next()),
        b: Float32Array.from({ length: n * dim }, () => next()),
        out: new Float32Array(m * n),
      };
      return data;
    };
    return (['l2sq', 'cosine', 'manhattan'] as MetricName[]).map((metric) => {
      const flop = FLOP_PER_ELEMENT[metric] * m * n * dim;
      return {
        name: `${metric} ${m}x${n}x${dim}`,
        unit: 'GFLOP/s',
        work: flop / 1e9,
        flop,
        threads: o.threads,
        setup() {
          const { q, b, out } = make();
          return (backend) => backend.distanceMatrix(metric, q, b, dim, out, o.threads);
        },
      } satisfies BenchCase;
    });
  },
};
