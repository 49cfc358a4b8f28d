import { seeded, type BenchCase, type Suite } from '../suite.js';

export const topkSuite: Suite = {
  name: 'topk',
  description: 'the k smallest of n scores, with their indexes',
  cases(o) {
    const n = o.count ?? (o.size === 'quick' ? 100_000 : 1_000_000);
    let scores: Float32Array | undefined;
    return [10, 100].map(
      (k): BenchCase => ({
        name: `k=${k} of ${n}`,
        unit: 'scores/s',
        work: n,
        bytes: n * 4,
        setup() {
          const next = seeded(o.seed);
          scores ??= Float32Array.from({ length: n }, () => next() * 1000);
          const idx = new Uint32Array(k);
          const dist = new Float32Array(k);
          return (b) => b.topk(scores!, k, idx, dist);
        },
      }),
    );
  },
};
