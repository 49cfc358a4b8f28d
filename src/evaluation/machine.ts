import { execFileSync } from 'node:child_process';
import { cpus, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../native/loader.js';
import { VERSION } from '../version.js';
import { z } from 'zod';

/** The machine a run measured, recorded with every bench and recall result (docs/bench.md). */
export const machineSchema = z.object({
  cpu: z.string(),
  cores: z.number().int(),
  platform: z.string(),
  /** SIMD level the native kernels chose, or "js" when native is not loaded. */
  simd: z.string(),
  /** One core's float32 FMA throughput, measured at start (native only). */
  peak_gflops_per_core: z.number().nullable(),
  node: z.string(),
  vectro: z.string(),
  /** Git commit of the checkout vectro ran from, when it is one. */
  commit: z.string().nullable(),
  date: z.string(),
  seed: z.number().int(),
  threads: z.number().int(),
  size: z.enum(['quick', 'default', 'full']),
});
export type Machine = z.infer<typeof machineSchema>;

/** The sizes a bench run measured at. */
export type SizeClass = Machine['size'];

/** A machine's one-line description, for table headers. */
export function machineLine(m: Omit<Machine, 'size'> & { size?: Machine['size'] }): string {
  const peak = m.peak_gflops_per_core ? `, measured peak ${m.peak_gflops_per_core.toFixed(0)} GFLOP/s per core` : '';
  const commit = m.commit ? `, commit ${m.commit.slice(0, 10)}` : '';
  return `${m.cpu} (${m.cores} cores, ${m.simd}${peak}); Node ${m.node}; vectro ${m.vectro}${commit}; ${m.date}; seed ${m.seed}${m.size ? `; ${m.size} sizes` : ''}`;
}

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
