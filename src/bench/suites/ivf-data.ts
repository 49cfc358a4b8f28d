import { IvfIndex, type IvfStorage } from '../../index/ivf.js';
import type { SuiteOptions } from '../suite.js';
import type { HnswDataset } from './hnsw-data.js';

/**
 * Contenders of the IVF suites: the native and js indexes over float32 lists, and native int8 and
 * rabitq4 lists with kept vectors, searched with a rerank (they run whenever native does).
 */
export const IVF_TARGETS = ['native', 'native-int8', 'native-rabitq4', 'js'] as const;
export type IvfTarget = (typeof IVF_TARGETS)[number];

/** What each contender stores, and the rerank its searches use (int8 estimates are close: 20 is enough). */
export const IVF_SETUP: Record<IvfTarget, { storage: IvfStorage; rerank: number }> = {
  native: { storage: 'f32', rerank: 0 },
  'native-int8': { storage: 'int8', rerank: 20 },
  'native-rabitq4': { storage: 'rabitq4', rerank: 50 },
  js: { storage: 'f32', rerank: 0 },
};

/** Lists for `count` vectors: about 4 sqrt(n), to a power of two (512 at 10k, 1024 at 100k, 4096 at 1M). */
export function nlistFor(count: number): number {
  return Math.max(16, 2 ** Math.round(Math.log2(4 * Math.sqrt(count))));
}

const built = new Map<string, IvfIndex>();

/** Builds (training included) and remembers, for ivf-search, a contender's one-thread index. */
export async function buildIvf(target: string, d: HnswDataset, o: SuiteOptions, threads: number): Promise<IvfIndex> {
  const { storage } = IVF_SETUP[target as IvfTarget];
  const backend = target === 'js' ? 'js' : 'native';
  const index = IvfIndex.create({ dim: d.dim, nlist: nlistFor(d.base.length / d.dim), storage, keepVectors: storage !== 'f32', seed: o.seed, backend });
  await index.addAsync(d.base, { threads });
  if (threads === 1) built.set(`${target} ${d.label}`, index);
  return index;
}

export async function builtIvf(target: string, d: HnswDataset, o: SuiteOptions): Promise<IvfIndex> {
  return built.get(`${target} ${d.label}`) ?? buildIvf(target, d, o, 1);
}
