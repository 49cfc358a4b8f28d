import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A file path in a new temporary folder, and how to remove the folder. */
function scratchFile(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'vectro-peer-'));
  return { path: join(dir, 'index'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `use` with a scratch file path; the file is gone afterwards. */
export function withScratchFile<T>(use: (path: string) => T): T {
  const file = scratchFile();
  try {
    return use(file.path);
  } finally {
    file.remove();
  }
}

/** Size of whatever `save` writes (it may return a promise), measured in a scratch file. */
export async function savedBytes(save: (path: string) => unknown): Promise<number> {
  const file = scratchFile();
  try {
    await save(file.path);
    return statSync(file.path).size;
  } finally {
    file.remove();
  }
}
