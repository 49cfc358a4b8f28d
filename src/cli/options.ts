import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { LIMITS, wholeNumber } from '../limits.js';
import { SCHEME_NAMES, type SchemeName } from '../quant/schemes.js';
import { VECTOR_FORMATS } from '../formats/detect.js';

/** Flags as commander hands them over, checked and typed by zod. Messages name the flag. */
const choice = <T extends readonly [string, ...string[]]>(flag: string, values: T) =>
  z.enum(values, { error: (issue) => `${flag}: expected one of ${values.join(', ')}, got '${String(issue.input)}'` });

export { wholeNumber };

/** `--threads`: 1 to LIMITS.threads, default all cores. */
export const threadsOption = () => wholeNumber('--threads', 1, LIMITS.threads).default(availableParallelism());

/** `-k`: neighbours per query. */
export const kOption = (fallback: number) => wholeNumber('-k', 1, LIMITS.k).default(fallback);

export const commonOptions = z.object({
  backend: choice('--backend', ['auto', 'native', 'js'] as const).default('auto'),
  threads: threadsOption(),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
});

export const quantizeOptions = commonOptions
  .extend({
    output: z.string({ error: '-o, --output: required (where to write the .vq file)' }).min(1),
    scheme: choice('--scheme', [...SCHEME_NAMES, 'rabitq'] as const).default('int8'),
    bits: wholeNumber('--bits', 1, 8).optional(),
    metric: choice('--metric', ['l2', 'ip', 'cosine'] as const).default('l2'),
    seed: wholeNumber('--seed', 0, LIMITS.seed).default(42),
    searchReport: z.boolean().default(true),
    format: choice('--format', VECTOR_FORMATS).optional(),
  })
  .refine((o) => o.bits === undefined || o.scheme === 'rabitq', {
    error: '--bits: only with --scheme rabitq (the other schemes have fixed bits; rabitq1..rabitq8 name theirs)',
  })
  .transform(({ bits, ...o }) => ({ ...o, scheme: (o.scheme === 'rabitq' ? `rabitq${bits ?? 1}` : o.scheme) as SchemeName }));

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

/**
 * A comma-separated list of names (`--backend native,js`): each must be one of `known`, none twice,
 * at least one.
 */
export function parseNameList(flag: string, list: string, known: readonly string[], noun = 'backend'): string[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`${flag}: name at least one ${noun}`);
  const unknown = names.find((n) => !known.includes(n));
  if (unknown) throw new UsageError(`${flag}: unknown ${noun} '${unknown}' (${noun}s: ${known.join(', ')})`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`${flag}: '${twice}' is given twice`);
  return names;
}
