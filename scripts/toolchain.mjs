// Helpers shared by build.mjs and test.mjs: where things are, and how to run them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** The folder holding `cargo`: on PATH, or rustup's default ~/.cargo/bin (often not on PATH). */
export function findCargoDir() {
  if (process.env.VECTRO_SKIP_NATIVE === '1') return null;
  const exe = process.platform === 'win32' ? 'cargo.exe' : 'cargo';
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(homedir(), '.cargo', 'bin')];
  return dirs.find((d) => d && existsSync(join(d, exe))) ?? null;
}

/** Runs a command in the repo root with output shown; returns its exit status. */
export function run(command, args, extraPath) {
  const env = { ...process.env };
  if (extraPath) env.PATH = extraPath + delimiter + (env.PATH ?? '');
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) {
    console.error(`vectro: could not run ${command}: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}
