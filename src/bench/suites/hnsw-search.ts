import type { BenchCase, Suite } from '../suite.js';
import { builtIndex, hnswDataset, HNSW_TARGETS, recallOf, sizesFor } from './hnsw-data.js';

const EFS = [16, 32, 64, 96, 128, 256];
const K = 10;

export const hnswSearchSuite: Suite = {
  name: 'hnsw-search',
  description: 'HNSW search, one query per call on one thread: QPS and recall@10 (against exact search) across ef',
  cases(o) {
    return sizesFor(o).flatMap(({ count, dim }) =>
      EFS.map((ef): BenchCase => {
        const nq = o.size === 'quick' ? 200 : 1000;
        const found = new Map<string, Uint32Array>();
        return {
          name: `ef=${ef} ${count}x${dim}`,
          unit: 'queries/s',
          work: nq,
          backends: HNSW_TARGETS,
          setupTarget() {
            const d = hnswDataset(count, dim, nq, o.seed);
            return async (target) => {
              const index = await builtIndex(target, d, o);
              index.setEf(ef);
              const ids = found.get(target) ?? new Uint32Array(nq * K);
              found.set(target, ids);
              if (index.searchEachTimed) return { ownSeconds: await index.searchEachTimed(d.queries, K, ids) };
              // The index is built before the timed runs (warm-up), so the loop is all that is timed.
              for (let q = 0; q < nq; q++) index.searchOne!(d.queries.subarray(q * dim, (q + 1) * dim), K, ids.subarray(q * K, (q + 1) * K));
            };
          },
          extra: (target) => ({ ef, recall: recallOf(hnswDataset(count, dim, nq, o.seed), found.get(target)!, K, target) }),
        };
      }),
    );
  },
};
