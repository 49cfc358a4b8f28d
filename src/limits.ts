import { z } from 'zod';
import { MAX_DIM } from './quant/schemes.js';

/**
 * Every count a user can set has one documented upper bound, shared by the flags, the recall spec
 * fields, the Node API and the file readers (docs/format.md, README). The bounds are far above any
 * sensible setting; they exist so a typo cannot ask for 32 GB or a day of work.
 */
export const LIMITS = {
  /** Neighbours per query (`-k`). */
  k: 10_000,
  /** Search width (`--ef`) and insert width (efConstruction, `--ef-construction`, `efc=`). */
  ef: 100_000,
  /** Links per node on the upper layers (M); 2M on the bottom layer. At least 2. */
  m: 256,
  /** Candidates re-scored exactly (`--rerank`, `rerank=`). */
  rerank: 100_000,
  threads: 1024,
  /** Queries a recall run measures or generates (`--queries`). */
  queries: 1_000_000,
  /** Base vectors of a generated dataset (`--n`). */
  n: 100_000_000,
  dim: MAX_DIM,
  seed: 2 ** 52,
} as const;

const DECIMAL = /^\d+$/;

/**
 * The one parser of whole numbers for flags and spec fields: decimal digits only (no `0x10`, `1e1`,
 * `' 5'` or `16.5`), from `min` to `max`, with `name` (the flag or spec key) in every message.
 * Numbers given as defaults pass through the same range check.
 */
export const wholeNumber = (name: string, min: number, max: number) =>
  z.union([z.string(), z.number()]).transform((raw, ctx) => {
    const text = String(raw);
    const value = typeof raw === 'number' ? raw : DECIMAL.test(text) ? Number(text) : NaN;
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (!Number.isSafeInteger(value)) return fail(`${name}: expected a whole number from ${min} to ${max} in decimal digits, got '${text}'`);
    if (value < min) return fail(`${name}: must be at least ${min}, got ${value}`);
    if (value > max) return fail(`${name}: must be at most ${max}, got ${value}`);
    return value;
  });
