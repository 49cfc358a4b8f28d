import { z } from 'zod';
import { machineSchema } from '../evaluation/machine.js';

export { machineSchema, type Machine } from '../evaluation/machine.js';

/**
 * The one result schema behind `vectro bench`: the terminal tables, the JSON, Markdown and CSV
 * exports and `vectro bench compare` all read it. Documented in docs/bench.md.
 */

/** Units of a throughput: larger always means faster. */
export const UNITS = ['vec/s', 'pairs/s', 'GFLOP/s', 'scores/s', 'queries/s', 'codes/s'] as const;
export type Unit = (typeof UNITS)[number];

export const resultSchema = z.object({
  suite: z.string(),
  /** Stable, readable case name, e.g. `int8.encode 10000x128`, `l2sq.f32 one-to-many 768`. */
  case: z.string(),
  backend: z.string(),
  unit: z.enum(UNITS),
  median: z.number(),
  mean: z.number(),
  stddev: z.number(),
  min: z.number(),
  max: z.number(),
  /** Timed samples (warm-up excluded); a sample repeats a sub-millisecond case to last about 1 ms. */
  runs: z.number().int(),
  /** Runs whose time is more than 3.5 scaled median absolute deviations from the median. */
  outliers: z.number().int(),
  /** The spread is wide: (max - min) / median above 0.5, or stddev / mean above 0.1. */
  noisy: z.boolean(),
  /** The first timed run took over twice the median of the others: warm-up was not enough. */
  first_run_slow: z.boolean(),
  threads: z.number().int(),
  /** Input bytes per second at the median, for memory-bound cases. */
  gb_per_s: z.number().optional(),
  /** Median GFLOP/s per thread over the measured per-core peak (matrix suite). */
  peak_share: z.number().optional(),
  /** hnsw-search: the search width, and recall@10 against exact search (ivf-search too). */
  ef: z.number().int().optional(),
  recall: z.number().optional(),
  /** ivf-search: the lists probed per query (recall as above). */
  nprobe: z.number().int().optional(),
  /** hnsw-build, ivf-build: the index's size as saved to a file. */
  index_bytes: z.number().int().optional(),
});
export type BenchResult = z.infer<typeof resultSchema>;

export const benchFileSchema = z.object({ machine: machineSchema, results: z.array(resultSchema) });
export type BenchFile = z.infer<typeof benchFileSchema>;
