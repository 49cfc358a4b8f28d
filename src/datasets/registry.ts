import type { IndexMetricName } from '../distance/metrics.js';

/** A file of a known dataset, with its published size and sha256 (../docs/recall.md lists them). */
export interface KnownFile {
  name: string;
  bytes: number;
  sha256: string;
}

/**
 * Where a dataset can be fetched: a TEXMEX `.tar.gz` (the files inside are checked against the
 * digests), or an ann-benchmarks HDF5 file (`train`, `test`, `neighbors`, converted to the same files).
 */
export interface DatasetSource {
  url: string;
  kind: 'tar.gz' | 'hdf5';
  /** Approximate download size, for the listing. */
  bytes: number;
}

export interface KnownDataset {
  name: string;
  description: string;
  metric: IndexMetricName;
  /** The base, query and ground-truth files (in that order), as the official archive names them. */
  files: { base: KnownFile; query: KnownFile; groundtruth: KnownFile };
  /** Official source first, then mirrors. */
  sources: DatasetSource[];
}

const TEXMEX = 'ftp://ftp.irisa.fr/local/texmex/corpus';

export const KNOWN_DATASETS: readonly KnownDataset[] = [
  {
    name: 'siftsmall',
    description: 'TEXMEX siftsmall: 10,000 SIFT descriptors x 128, 100 queries, l2 (bundled with vectro)',
    metric: 'l2',
    files: {
      base: { name: 'siftsmall_base.fvecs', bytes: 5_160_000, sha256: '1e90414a3254361aba48a0d58e461f7661fb135dabb3da985290e94de8f60fe0' },
      query: { name: 'siftsmall_query.fvecs', bytes: 51_600, sha256: '095af38bda2741be721447ba97e9286fa918ece946be92a9ae133276eddc1a10' },
      groundtruth: { name: 'siftsmall_groundtruth.ivecs', bytes: 40_400, sha256: 'b0717bf276111a166f14dcc2653fd04465b2afd6d34c72be641b622cf99f95ae' },
    },
    sources: [{ url: `${TEXMEX}/siftsmall.tar.gz`, kind: 'tar.gz', bytes: 5_500_000 }],
  },
  {
    name: 'sift1m',
    description: 'TEXMEX ANN_SIFT1M: 1,000,000 SIFT descriptors x 128, 10,000 queries, l2',
    metric: 'l2',
    files: {
      base: { name: 'sift_base.fvecs', bytes: 516_000_000, sha256: '21f66e2975057b5728ba56de1c825bac4f4d89d596609ae985741c6242631816' },
      query: { name: 'sift_query.fvecs', bytes: 5_160_000, sha256: 'f7fc9be140accdfd64116c2fa2365ecdb69b8f084970c6b0532db5ff79ac8fdc' },
      groundtruth: { name: 'sift_groundtruth.ivecs', bytes: 4_040_000, sha256: '2b71de0a8d5a83e6a84eec3e23fb8b611d8801dd9b3a6cd62f070ab65ea65f4f' },
    },
    sources: [
      { url: `${TEXMEX}/sift.tar.gz`, kind: 'tar.gz', bytes: 161_000_000 },
      { url: 'http://ann-benchmarks.com/sift-128-euclidean.hdf5', kind: 'hdf5', bytes: 501_000_000 },
    ],
  },
];

export function knownDataset(name: string): KnownDataset | undefined {
  return KNOWN_DATASETS.find((d) => d.name === name);
}
