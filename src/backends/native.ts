import { INDEX_METRICS, METRICS } from '../distance/metrics.js';
import type { NativeAddon } from '../native/types.js';
import type { Backend } from './backend.js';

/** The Rust backend: a thin adapter from the Backend interface to the addon. */
export function nativeBackend(addon: NativeAddon): Backend {
  const info = addon.info();
  return {
    name: 'native',
    simd: info.simd,
    maxThreads: info.threads,
    encode: (scheme, x, dim, center, codes, params, threads) => addon.encode(scheme.id, x, dim, center, codes, params, threads),
    decode: (scheme, codes, params, center, dim, out, threads) => addon.decode(scheme.id, codes, params, center, dim, out, threads),
    columnSums: (x, dim, acc) => addon.columnSums(x, dim, acc),
    errorStats: (x, y, dim, acc) => addon.errorStats(x, y, dim, acc),
    distancePair: (metric, a, b) => addon.distancePair(METRICS[metric], a, b),
    distanceMany: (metric, q, rows, out, threads) => addon.distanceMany(METRICS[metric], q, rows, out, threads),
    distanceMatrix: (metric, q, base, dim, out, threads) => addon.distanceMatrix(METRICS[metric], q, base, dim, out, threads),
    topk: (scores, k, idx, dist) => addon.topk(scores, k, idx, dist),
    copy: (src, dst) => addon.copy(src, dst),
    flatSearch: (metric, base, dim, queries, k, ids, dists, threads) => addon.flatSearch(INDEX_METRICS[metric], base, dim, queries, k, ids, dists, threads),
    rabitqEstimate: (bits, words, dim, queries, l2, codes, params, eps0, dists, bounds, threads) =>
      addon.rabitqEstimate(bits, words, dim, queries, l2 ? 1 : 0, codes, params, eps0, dists, bounds, threads),
    rabitqPack: (bits, dim, codes, out) => addon.rabitqPack(bits, dim, codes, out),
    rabitqScan: (bits, words, dim, queries, l2, packed, params, eps0, dists, bounds, threads) =>
      addon.rabitqScan(bits, words, dim, queries, l2 ? 1 : 0, packed, params, eps0, dists, bounds, threads),
  };
}
