import { execFileSync } from 'node:child_process';
import { cpus, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../native/loader.js';
import { VERSION } from '../version.js';
import type { Machine } from './schema.js';
import type { SizeClass } from './suite.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The git commit vectro runs from, when it runs from a checkout. */
function gitCommit(): string | null {
  try {
    return (
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() || null
    );
  } catch {
    return null;
  }
}

/** The machine a run measured: recorded with every result. Measures the FMA peak when native loads. */
export function describeMachine(seed: number, threads: number, size: SizeClass): Machine {
  const load = loadNative();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    platform: `${platform()}-${arch()}`,
    simd: load.ok ? load.addon.info().simd : 'js',
    peak_gflops_per_core: load.ok ? load.addon.peakGflops(200) : null,
    node: process.version,
    vectro: VERSION,
    commit: gitCommit(),
    date: new Date().toISOString(),
    seed,
    threads,
    size,
  };
}
