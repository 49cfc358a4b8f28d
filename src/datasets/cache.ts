import { readFile, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
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
