import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexMetricName } from '../distance/metrics.js';
import { UsageError } from '../errors.js';
import { dataDir, readManifest } from './cache.js';
import { Hdf5Matrix } from './hdf5.js';
import { knownDataset, KNOWN_DATASETS, type KnownDataset } from './registry.js';
import { isHdf5Path, type VectorSource } from './source.js';

/** A dataset ready to measure: base vectors, queries, and the true neighbours when it has them. */
export interface Dataset {
  /** How reports name it: a known name, or the folder or file it came from. */
  name: string;
  metric: IndexMetricName;
  base: VectorSource;
  queries: VectorSource;
  truth?: VectorSource;
}

const BUNDLED = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

const VECTOR_EXTS = ['.fvecs', '.bvecs', '.fbin', '.u8bin', '.i8bin', '.npy'];
const TRUTH_EXTS = ['.ivecs', '.ibin'];
const ROLES = {
  base: { pattern: /(^|[._-])(base|train)([._-]|$)/i, exts: VECTOR_EXTS },
  queries: { pattern: /(^|[._-])(query|queries|test)([._-]|$)/i, exts: VECTOR_EXTS },
  truth: { pattern: /(^|[._-])(groundtruth|gt|neighbors)([._-]|$)/i, exts: TRUTH_EXTS },
} as const;

const LAYOUTS = '*_base.fvecs, *_query.fvecs and *_groundtruth.ivecs (TEXMEX), or base/query .fbin with a groundtruth .ibin (big-ann)';

/** A folder in one of the usual layouts: TEXMEX `*_base.fvecs`..., or big-ann `.fbin`/`.ibin`. */
export async function datasetFromFolder(dir: string, metric: IndexMetricName = 'l2'): Promise<Dataset> {
  const names = await readdir(dir);
  const pick = (role: keyof typeof ROLES): string | undefined => {
    const { pattern, exts } = ROLES[role];
    const found = names.filter((n) => exts.includes(extname(n).toLowerCase()) && pattern.test(basename(n, extname(n))));
    if (found.length > 1) throw new UsageError(`${dir}: several ${role} files (${found.join(', ')}); keep one, or point at a folder with one dataset`);
    return found[0] && join(dir, found[0]);
  };
  const [base, queries, truth] = [pick('base'), pick('queries'), pick('truth')];
  if (!base || !queries) throw new UsageError(`${dir}: no ${base ? 'query' : 'base'} vectors found; a dataset folder holds ${LAYOUTS}`);
  return { name: basename(resolve(dir)), metric, base: { path: base }, queries: { path: queries }, truth: truth ? { path: truth } : undefined };
}

/** An ann-benchmarks HDF5 file: `train`, `test`, `neighbors`, and its `distance` attribute. */
export async function datasetFromHdf5(path: string, metric?: IndexMetricName): Promise<Dataset> {
  const train = await Hdf5Matrix.open(path, 'train');
  let distance: string | undefined;
  try {
    distance = train.rootAttribute('distance');
  } finally {
    train.close();
  }
  const fromFile: Record<string, IndexMetricName> = { euclidean: 'l2', angular: 'cosine', dot: 'ip', ip: 'ip' };
  if (!metric && distance && !fromFile[distance]) {
    throw new UsageError(`${path}: distance '${distance}' is not one vectro measures (euclidean, angular, dot)`);
  }
  return {
    name: basename(path, extname(path)),
    metric: metric ?? (distance ? fromFile[distance] : 'l2'),
    base: { path, hdf5: 'train' },
    queries: { path, hdf5: 'test' },
    truth: { path, hdf5: 'neighbors' },
  };
}

/** The files of a known dataset in `dir`, or what is missing. */
async function knownIn(dir: string, known: KnownDataset): Promise<Dataset | string> {
  const { base, query, groundtruth } = known.files;
  const has = async (name: string) => (await stat(join(dir, name)).catch(() => undefined))?.isFile() ?? false;
  const missing = [];
  for (const f of [base, query]) if (!(await has(f.name))) missing.push(f.name);
  if (missing.length > 0) return `no ${missing.join(' or ')} in ${dir}`;
  return {
    name: known.name,
    metric: known.metric,
    base: { path: join(dir, base.name) },
    queries: { path: join(dir, query.name) },
    truth: (await has(groundtruth.name)) ? { path: join(dir, groundtruth.name) } : undefined,
  };
}

/**
 * What a `DATASET` argument names: a known dataset (from `--data DIR`, the cache, or for siftsmall
 * the bundled copy), a dataset folder, or an HDF5 file. `synthetic` is resolved by synthetic.ts.
 */
export async function resolveDataset(arg: string | undefined, options: { data?: string; metric?: IndexMetricName } = {}): Promise<Dataset> {
  const { data, metric } = options;
  if (arg === undefined && data) return resolvePath(data, metric, '--data');
  const name = arg ?? 'siftsmall';
  const known = knownDataset(name);
  if (!known) {
    if (data)
      throw new UsageError(
        `--data is for the known datasets (${KNOWN_DATASETS.map((d) => d.name).join(', ')}); give the folder or file as the dataset instead`,
      );
    return resolvePath(name, metric, 'dataset');
  }
  const withMetric = (d: Dataset) => ({ ...d, metric: metric ?? d.metric });
  if (data) {
    const found = await knownIn(data, known);
    if (typeof found === 'string')
      throw new UsageError(
        `--data ${data}: ${found} (${name} needs ${known.files.base.name} and ${known.files.query.name}; ${known.files.groundtruth.name} is optional)`,
      );
    return withMetric(found);
  }
  const cached = join(dataDir(), name);
  if (await readManifest(cached)) {
    const found = await knownIn(cached, known);
    if (typeof found !== 'string') return withMetric(found);
  }
  if (name === 'siftsmall') return withMetric((await knownIn(join(BUNDLED, 'siftsmall'), known)) as Dataset);
  throw new UsageError(
    `${name} is not in the cache (${cached}): run \`vectro datasets download ${name}\`, or put ${known.files.base.name}, ` +
      `${known.files.query.name} and ${known.files.groundtruth.name} in a folder and pass --data DIR`,
  );
}

async function resolvePath(path: string, metric: IndexMetricName | undefined, what: string): Promise<Dataset> {
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    const names = [...KNOWN_DATASETS.map((d) => d.name), 'synthetic'].join(', ');
    throw new UsageError(`${what === 'dataset' ? '' : '--data '}${path}: not a known dataset (${names}), a dataset folder or an HDF5 file`);
  }
  if (info.isDirectory()) return datasetFromFolder(path, metric);
  if (isHdf5Path(path)) return datasetFromHdf5(path, metric);
  throw new UsageError(`${path}: a dataset is a folder (${LAYOUTS}) or an ann-benchmarks .hdf5 file`);
}
