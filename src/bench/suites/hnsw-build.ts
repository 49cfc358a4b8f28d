import { buildsWithThreads } from '../../evaluation/contenders.js';
import type { BenchCase, Suite } from '../suite.js';
import { buildIndex, hnswDataset, HNSW_PARAMS, HNSW_TARGETS, sizesFor } from './hnsw-data.js';

export const hnswBuildSuite: Suite = {
  name: 'hnsw-build',
  description: `HNSW index builds (M=${HNSW_PARAMS.m}, efConstruction=${HNSW_PARAMS.efConstruction}) on seeded clustered data: inserts/s and index bytes`,
  cases(o) {
    return sizesFor(o).flatMap(({ count, dim }) =>
      [1, o.threads]
        .filter((t, i, all) => all.indexOf(t) === i)
        .map((threads): BenchCase => {
          const bytes = new Map<string, number>();
          return {
            name: `build ${count}x${dim} threads=${threads}`,
            unit: 'vec/s',
            work: count,
            runs: 1,
            threads,
            // hnswlib-node has no threaded insert, and vectro's js baseline runs on one thread.
            backends: threads === 1 ? HNSW_TARGETS : HNSW_TARGETS.filter(buildsWithThreads),
            setupTarget() {
              const d = hnswDataset(count, dim, o.size === 'quick' ? 200 : 1000, o.seed);
              return async (target) => {
                const index = await buildIndex(target, d, o, threads);
                bytes.set(target, await index.bytes());
                return index.buildSeconds === undefined ? undefined : { ownSeconds: index.buildSeconds };
              };
            },
            extra: (target) => ({ index_bytes: bytes.get(target)! }),
          };
        }),
    );
  },
};
