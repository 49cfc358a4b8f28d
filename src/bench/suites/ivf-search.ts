import type { BenchCase, Suite } from '../suite.js';
import { hnswDataset, recallOf, sizesFor } from './hnsw-data.js';
import { builtIvf, IVF_SETUP, IVF_TARGETS, nlistFor, type IvfTarget } from './ivf-data.js';

const NPROBES = [1, 2, 4, 8, 16, 32];
const K = 10;

export const ivfSearchSuite: Suite = {
  name: 'ivf-search',
  description: `IVF search across nprobe: one query per call on one thread, then all queries in one call (batch) on 1 and --threads threads; QPS and recall@10 (native-int8: rerank ${IVF_SETUP['native-int8'].rerank}; native-rabitq4: rerank ${IVF_SETUP['native-rabitq4'].rerank})`,
  cases(o) {
    return sizesFor(o).flatMap(({ count, dim }) => {
      const nq = o.size === 'quick' ? 200 : 1000;
      const found = new Map<string, Uint32Array>();
      const recall = (key: string) => recallOf(hnswDataset(count, dim, nq, o.seed), found.get(key)!, K, key);
      const single = NPROBES.filter((p) => p <= nlistFor(count)).map(
        (nprobe): BenchCase => ({
          name: `nprobe=${nprobe} ${count}x${dim}`,
          unit: 'queries/s',
          work: nq,
          backends: IVF_TARGETS,
          setupTarget() {
            const d = hnswDataset(count, dim, nq, o.seed);
            return async (target) => {
              const index = await builtIvf(target, d, o);
              const { rerank } = IVF_SETUP[target as IvfTarget];
              const ids = new Uint32Array(nq * K);
              for (let q = 0; q < nq; q++) ids.set(index.search(d.queries.subarray(q * dim, (q + 1) * dim), K, { nprobe, rerank, threads: 1 }).ids, q * K);
              found.set(`${target} ${nprobe}`, ids);
            };
          },
          extra: (target) => ({ nprobe, recall: recall(`${target} ${nprobe}`) }),
        }),
      );
      const batch = [1, o.threads]
        .filter((t, i, all) => all.indexOf(t) === i)
        .map(
          (threads): BenchCase => ({
            name: `batch nprobe=16 ${count}x${dim} threads=${threads}`,
            unit: 'queries/s',
            work: nq,
            threads,
            backends: IVF_TARGETS.filter((t) => t !== 'js'),
            setupTarget() {
              const d = hnswDataset(count, dim, nq, o.seed);
              return async (target) => {
                const index = await builtIvf(target, d, o);
                const { rerank } = IVF_SETUP[target as IvfTarget];
                found.set(`${target} batch`, index.search(d.queries, K, { nprobe: 16, rerank, threads, batch: true }).ids);
              };
            },
            extra: (target) => ({ nprobe: 16, recall: recall(`${target} batch`) }),
          }),
        );
      return [...single, ...batch];
    });
  },
};
