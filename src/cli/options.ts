import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { SCHEME_NAMES } from '../quant/schemes.js';
import { VECTOR_FORMATS } from '../formats/detect.js';

/** Flags as commander hands them over, checked and typed by zod. Messages name the flag. */
const choice = <T extends readonly [string, ...string[]]>(flag: string, values: T) =>
  z.enum(values, { error: (issue) => `${flag}: expected one of ${values.join(', ')}, got '${String(issue.input)}'` });

/** A whole number from `min` to `max`; messages name the flag (or spec key) and the rule. */
export const wholeNumber = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: `${name}: expected a whole number` })
    .int(`${name}: expected a whole number`)
    .min(min, `${name}: must be at least ${min}`)
    .max(max, `${name}: must be at most ${max}`);

const threads = z
  .union([z.string(), z.number()])
  .transform((v) => Number(v))
  .pipe(z.number({ error: '--threads: expected a whole number' }).int('--threads: expected a whole number').min(1, '--threads: must be at least 1').max(1024, '--threads: at most 1024'));

export const commonOptions = z.object({
  backend: choice('--backend', ['auto', 'native', 'js'] as const).default('auto'),
  threads: threads.default(availableParallelism()),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
});

export const quantizeOptions = commonOptions.extend({
  output: z.string({ error: '-o, --output: required (where to write the .vq file)' }).min(1),
  scheme: choice('--scheme', SCHEME_NAMES).default('int8'),
  format: choice('--format', VECTOR_FORMATS).optional(),
});

export const dequantizeOptions = commonOptions.extend({
  output: z.string({ error: '-o, --output: required (.fvecs, .fbin or .npy)' }).min(1),
});

export const inspectOptions = z.object({
  json: z.boolean().default(false),
  format: choice('--format', VECTOR_FORMATS).optional(),
});

export const infoOptions = z.object({ json: z.boolean().default(false) });

/** Parses options with `schema`, turning the first problem into a usage error. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new UsageError(result.error.issues[0].message);
  return result.data;
}
