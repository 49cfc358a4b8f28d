import { IvfIndex, type IvfStorage } from '../../index/ivf.js';
import type { SuiteOptions } from '../suite.js';
import type { HnswDataset } from './hnsw-data.js';

/**
 * Contenders of the IVF suites: the native and js indexes over float32 lists, and `native-rabitq4`,
 * native rabitq4 lists with kept vectors searched with rerank 50 (it runs whenever native does).
 */
export const IVF_TARGETS = ['native', 'native-rabitq4', 'js'] as const;
export const IVF_RERANK = 50;

/** Lists for `count` vectors: about 4 sqrt(n), to a power of two (512 at 10k, 1024 at 100k, 4096 at 1M). */
export function nlistFor(count: number): number {
  return Math.max(16, 2 ** Math.round(Math.log2(4 * Math.sqrt(count))));
}

const built = new Map<string, IvfIndex>();

/** Builds (training included) and remembers, for ivf-search, a contender's one-thread index. */
export async function buildIvf(target: string, d: HnswDataset, o: SuiteOptions, threads: number): Promise<IvfIndex> {
  const rabitq = target === 'native-rabitq4';
  const storage: IvfStorage = rabitq ? 'rabitq4' : 'f32';
  const backend = target === 'js' ? 'js' : 'native';
  const index = IvfIndex.create({ dim: d.dim, nlist: nlistFor(d.base.length / d.dim), storage, keepVectors: rabitq, seed: o.seed, backend });
  await index.addAsync(d.base, { threads });
  if (threads === 1) built.set(`${target} ${d.label}`, index);
  return index;
}

export async function builtIvf(target: string, d: HnswDataset, o: SuiteOptions): Promise<IvfIndex> {
  return built.get(`${target} ${d.label}`) ?? buildIvf(target, d, o, 1);
}
