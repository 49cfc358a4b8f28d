import type { Suite } from '../suite.js';
import { distanceSuite } from './distance.js';
import { hnswBuildSuite } from './hnsw-build.js';
import { hnswSearchSuite } from './hnsw-search.js';
import { ivfBuildSuite } from './ivf-build.js';
import { ivfSearchSuite } from './ivf-search.js';
import { matrixSuite } from './matrix.js';
import { quantizeSuite } from './quantize.js';
import { scanSuite } from './scan.js';
import { topkSuite } from './topk.js';

/** Every suite, in the order `vectro bench` runs them. */
export const SUITES: readonly Suite[] = [
  quantizeSuite,
  distanceSuite,
  matrixSuite,
  topkSuite,
  scanSuite,
  hnswBuildSuite,
  hnswSearchSuite,
  ivfBuildSuite,
  ivfSearchSuite,
];
export const SUITE_NAMES = SUITES.map((s) => s.name);

export function suiteByName(name: string): Suite | undefined {
  return SUITES.find((s) => s.name === name);
}
