import type { BenchCase, Suite } from '../suite.js';
import { hnswDataset, sizesFor } from './hnsw-data.js';
import { buildIvf, IVF_TARGETS, nlistFor } from './ivf-data.js';

export const ivfBuildSuite: Suite = {
  name: 'ivf-build',
  description:
    'IVF index builds (k-means training on 64 x nlist vectors, 10 iterations, then adding every vector; nlist about 4 sqrt(n)) on seeded clustered data: vectors/s and index bytes',
  cases(o) {
    return sizesFor(o).flatMap(({ count, dim }) =>
      [1, o.threads]
        .filter((t, i, all) => all.indexOf(t) === i)
        .map((threads): BenchCase => {
          const bytes = new Map<string, number>();
          return {
            name: `build ${count}x${dim} nlist=${nlistFor(count)} threads=${threads}`,
            unit: 'vec/s',
            work: count,
            runs: 1,
            threads,
            // The js baseline runs on one thread.
            backends: threads === 1 ? IVF_TARGETS : IVF_TARGETS.filter((t) => t !== 'js'),
            setupTarget() {
              const d = hnswDataset(count, dim, o.size === 'quick' ? 200 : 1000, o.seed);
              return async (target) => {
                const index = await buildIvf(target, d, o, threads);
                bytes.set(target, index.fileBytes());
              };
            },
            extra: (target) => ({ index_bytes: bytes.get(target)! }),
          };
        }),
    );
  },
};
