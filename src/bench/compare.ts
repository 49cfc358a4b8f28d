import { DataError } from '../errors.js';
import { openInput } from '../formats/input.js';
import { benchFileSchema, type BenchFile, type BenchResult } from './schema.js';

export type Verdict = 'faster' | 'slower' | 'within noise' | 'only in old' | 'only in new';

export interface Comparison {
  suite: string;
  case: string;
  backend: string;
  unit: string;
  old: BenchResult | undefined;
  new: BenchResult | undefined;
  /** new median / old median: above 1 is faster (units are throughputs). */
  ratio: number | null;
  verdict: Verdict;
}

/** Reads and validates a `vectro bench --json` file. */
export async function loadBenchFile(path: string): Promise<BenchFile> {
  const input = await openInput(path);
  let text: string;
  try {
    text = await input.handle.readFile('utf8');
  } finally {
    await input.handle.close();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = benchFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(`${path}: not a vectro bench result file: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Pairs the results of two runs by suite, case and backend. A change counts only beyond the runs'
 * own noise: faster when every new run beat every old one (new min > old max), slower when every
 * new run lost (new max < old min).
 */
export function compareRuns(oldFile: BenchFile, newFile: BenchFile): Comparison[] {
  const key = (r: BenchResult) => `${r.suite}\u0000${r.case}\u0000${r.backend}`;
  const olds = new Map(oldFile.results.map((r) => [key(r), r]));
  const news = new Map(newFile.results.map((r) => [key(r), r]));
  const keys = [...new Set([...olds.keys(), ...news.keys()])];
  return keys.map((k) => {
    const o = olds.get(k);
    const n = news.get(k);
    const either = (n ?? o)!;
    let verdict: Verdict = 'within noise';
    if (!o) verdict = 'only in new';
    else if (!n) verdict = 'only in old';
    else if (n.min > o.max) verdict = 'faster';
    else if (n.max < o.min) verdict = 'slower';
    return {
      suite: either.suite,
      case: either.case,
      backend: either.backend,
      unit: either.unit,
      old: o,
      new: n,
      ratio: o && n ? n.median / o.median : null,
      verdict,
    };
  });
}
