import { z } from 'zod';
import { machineSchema } from '../evaluation/machine.js';
import { difficultySchema } from '../datasets/difficulty.js';

/**
 * The result of `vectro recall`: the terminal tables, the JSON, Markdown and CSV exports and the
 * SVG plot all read it. Documented in docs/recall.md.
 */

export const recallMachineSchema = machineSchema.omit({ size: true });

export const datasetInfoSchema = z.object({
  name: z.string(),
  metric: z.enum(['l2', 'ip', 'cosine']),
  /** Base vectors and their dimension. */
  count: z.number().int(),
  dim: z.number().int(),
  /** Queries measured (the first N of the dataset's). */
  queries: z.number().int(),
  /** Neighbours asked per query. */
  k: z.number().int(),
  /** Where the true neighbours came from: the dataset's file, or computed by exact search. */
  truth: z.enum(['file', 'computed']),
  /** Relative contrast and LID of the data (src/datasets/difficulty.ts); absent in files from older versions. */
  difficulty: difficultySchema.optional(),
});

/** One index built: a configuration on a backend. */
export const buildSchema = z.object({
  /** The canonical spec string (see spec.ts). */
  config: z.string(),
  backend: z.string(),
  build_seconds: z.number(),
  /** Threads the build used. */
  threads: z.number().int(),
  /** Size of the index as saved (vectro: the .vidx file; peers: their own format). */
  index_bytes: z.number().int(),
  /** Peak resident memory of the process that read the base and built the index. */
  peak_rss_bytes: z.number().int(),
});

/** One search setting measured: a configuration on a backend at one ef. */
export const pointSchema = z.object({
  config: z.string(),
  backend: z.string(),
  k: z.number().int(),
  /** The search parameter swept: HNSW's ef, or IVF's nprobe where `sweep` says so; null for exact search. */
  ef: z.number().int().nullable(),
  sweep: z.enum(['ef', 'nprobe']).optional(),
  /** recall@k (ann-benchmarks' definition, docs/recall.md). */
  recall: z.number(),
  recall_1: z.number().nullable(),
  recall_10: z.number().nullable(),
  recall_100: z.number().nullable(),
  /** Queries per second, one query per call on one thread. */
  qps: z.number(),
  /** Queries in the timed one-thread pass: all of them, unless a pass would take over 20 s (docs/recall.md). */
  timed_queries: z.number().int(),
  /** Queries per second, all queries in one call on `batch_threads` threads; null where a backend has no batch search. */
  batch_qps: z.number().nullable(),
  batch_threads: z.number().int(),
  p50_ms: z.number(),
  p95_ms: z.number(),
  p99_ms: z.number(),
  /** Distance computations per query (null where a backend does not count them). */
  distances_per_query: z.number().nullable(),
});

export const recallFileSchema = z.object({
  machine: recallMachineSchema,
  dataset: datasetInfoSchema,
  builds: z.array(buildSchema),
  points: z.array(pointSchema),
});

export type RecallMachine = z.infer<typeof recallMachineSchema>;
export type DatasetInfo = z.infer<typeof datasetInfoSchema>;
export type BuildResult = z.infer<typeof buildSchema>;
export type PointResult = z.infer<typeof pointSchema>;
export type RecallFile = z.infer<typeof recallFileSchema>;
