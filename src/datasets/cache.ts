import { createHash } from 'node:crypto';
import { readFile, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataError, describeSystemError } from '../errors.js';
import type { Dataset } from './resolve.js';
import { z } from 'zod';

/** Where downloaded and generated datasets live: `VECTRO_DATA_DIR`, default `~/.cache/vectro`. */
export function dataDir(): string {
  return process.env.VECTRO_DATA_DIR || join(homedir(), '.cache', 'vectro');
}

/**
 * Written last into a dataset's folder, after every file is in place and checked: a folder without
 * it is never taken for a dataset.
 */
export const MANIFEST = 'vectro-dataset.json';

export const manifestSchema = z.object({
  name: z.string(),
  source: z.string(),
  created: z.string(),
  /** Generated datasets: the metric they are measured with (l2 when absent). */
  metric: z.enum(['l2', 'ip', 'cosine']).optional(),
  files: z.array(
    z.object({
      name: z.string(),
      bytes: z.number(),
      sha256: z.string(),
      /** Whether the digest matched a published one (false: no digest is published for it). */
      verified: z.boolean(),
    }),
  ),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest of a complete dataset folder, or undefined when it is missing or incomplete. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return manifestSchema.parse(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Complete datasets in the cache, by folder name. */
export async function cachedDatasets(): Promise<Map<string, Manifest>> {
  const found = new Map<string, Manifest>();
  const names = await readdir(dataDir()).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const m = await readManifest(join(dataDir(), name));
    if (m) found.set(name, m);
  }
  return found;
}

/** Bytes of the files in a folder (not recursive). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

/**
 * A cache file name for something computed from a dataset's base and queries (ground truth,
 * difficulty): named by the files (path, size, modification time) and by `how` it was computed.
 */
export async function datasetCacheKey(d: Dataset, how: string): Promise<string> {
  const h = createHash('sha256');
  for (const path of [d.base.path, d.queries.path]) {
    const s = await stat(path);
    h.update(`${resolve(path)}\0${s.size}\0${s.mtimeMs}\0`);
  }
  h.update(how);
  return `${d.name.replace(/[^\w.-]/g, '_')}-${h.digest('hex').slice(0, 16)}`;
}

/**
 * Moves a finished dataset folder `made` (a temporary of this run) to `dir`. An existing `dir` is
 * replaced only when vectro can prove it made it: a valid manifest, and nothing in it but the files
 * that manifest lists. Anything else is refused before a file is touched.
 */
export async function placeDatasetFolder(made: string, dir: string): Promise<void> {
  const present = await readdir(dir).catch(() => undefined);
  if (present) {
    const manifest = await readManifest(dir);
    if (!manifest) throw new DataError(`${dir}: exists but is not a complete dataset vectro made (no valid ${MANIFEST}); move it away, then run again`);
    const listed = new Set([MANIFEST, ...manifest.files.map((f) => f.name).filter((n) => !n.includes('/'))]);
    const foreign = present.filter((n) => !listed.has(n));
    if (foreign.length > 0) throw new DataError(`${dir}: holds files vectro did not make (${foreign.slice(0, 3).join(', ')}); move them away, then run again`);
    try {
      await unlink(join(dir, MANIFEST)); // first: the folder stops counting as a dataset
      for (const name of present) if (name !== MANIFEST) await unlink(join(dir, name));
      await rmdir(dir);
    } catch (err) {
      throw new DataError(`${dir}: cannot replace it: ${describeSystemError(err)}`);
    }
  }
  await rename(made, dir);
}
