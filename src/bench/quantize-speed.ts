/**
 * The foundation's speed check (issue 2): int8 quantize of vectors already in memory, against a
 * plain copy of the same input buffer (the memory-bandwidth yardstick) and the js backend.
 * Contenders run interleaved, round after round, so drift on a shared machine hits them alike;
 * each row reports the median (and min-max) over rounds. Writes bench-results/quantize-int8.{json,md}.
 *
 *   npm run bench:quantize [-- --rounds 15]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { jsBackend } from '../backends/js/index.js';
import { nativeBackend } from '../backends/native.js';
import type { Backend } from '../backends/backend.js';
import { loadNative } from '../native/loader.js';
import { SCHEMES } from '../quant/schemes.js';
import { VERSION } from '../version.js';

interface Contender {
  name: string;
  run: () => void;
}

interface Row {
  size: string;
  contender: string;
  medianVecPerSec: number;
  minVecPerSec: number;
  maxVecPerSec: number;
  rounds: number;
}

/** Seeded SIFT-like data: whole numbers 0..255 with some structure, as float32. */
function makeData(count: number, dim: number): Float32Array {
  const x = new Float32Array(count * dim);
  let s = 0x9e3779b9;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s >>> 24) & ((i % dim) < dim / 2 ? 255 : 63);
  }
  return x;
}

function measure(count: number, contenders: Contender[], rounds: number, minSeconds: number): Map<string, number[]> {
  const times = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (const c of contenders) c.run(); // warm-up: page in buffers, JIT the js path
  const started = performance.now();
  for (let r = 0; r < rounds || performance.now() - started < minSeconds * 1000; r++) {
    for (const c of contenders) {
      const t0 = performance.now();
      c.run();
      times.get(c.name)!.push((performance.now() - t0) / 1000);
    }
  }
  return new Map([...times].map(([k, ts]) => [k, ts.map((t) => count / t)]));
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function suite(count: number, dim: number, backends: Backend[], rounds: number, minSeconds: number): Row[] {
  const x = makeData(count, dim);
  const copy = new Float32Array(x.length);
  const codes = new Uint8Array(count * dim);
  const scales = new Float32Array(count);
  const none = new Float32Array(0);
  const contenders: Contender[] = [{ name: 'copy (Float32Array.set)', run: () => copy.set(x) }];
  for (const b of backends) {
    const threadCounts = b.name === 'native' ? [1, b.maxThreads].filter((t, i, a) => a.indexOf(t) === i) : [1];
    for (const t of threadCounts) {
      contenders.push({
        name: b.name === 'native' ? `native int8 encode (${b.simd}, ${t > 1 ? `up to ${t} threads` : '1 thread'})` : 'js int8 encode',
        run: () => b.encode(SCHEMES.int8, x, dim, none, codes, scales, t),
      });
    }
  }
  const results = measure(count, contenders, rounds, minSeconds);
  return [...results].map(([contender, rates]) => ({
    size: `${count}x${dim}`,
    contender,
    medianVecPerSec: median(rates),
    minVecPerSec: Math.min(...rates),
    maxVecPerSec: Math.max(...rates),
    rounds: rates.length,
  }));
}

function main(): void {
  const roundsArg = process.argv.indexOf('--rounds');
  const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
  const load = loadNative();
  if (!load.ok) {
    console.error(`error: this benchmark compares native with js, and the native addon did not load: ${load.reason}`);
    process.exit(1);
  }
  const native = nativeBackend(load.addon);
  const small = suite(10_000, 128, [native, jsBackend], rounds, 2);
  const large = suite(1_000_000, 128, [native], rounds, 0);
  const rows = [...small, ...large];

  const rate = (size: string, prefix: string) => rows.find((r) => r.size === size && r.contender.startsWith(prefix))!.medianVecPerSec;
  const ratios = {
    nativeOverJs_10000x128: rate('10000x128', 'native int8 encode') / rate('10000x128', 'js'),
    nativeOneThreadOverCopy_1000000x128: rate('1000000x128', 'native int8 encode') / rate('1000000x128', 'copy'),
  };
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    simd: native.simd,
    node: process.version,
    vectro: VERSION,
    date: new Date().toISOString(),
  };

  const fmt = (n: number) => (n / 1e6).toFixed(2);
  const md = [
    '# int8 quantize throughput (issue 2 speed check)',
    '',
    `${machine.cpu}, ${machine.cores} cores, ${machine.simd}; Node ${machine.node}; vectro ${machine.vectro}; ${machine.date}.`,
    `Median of ${rounds}+ interleaved rounds (M vectors/s, min-max in brackets). Reproduce: \`npm run bench:quantize\`.`,
    'Encoding writes into preallocated buffers, as the streaming CLI does. "Up to N threads" stays on one',
    'thread below 1M values per thread, where spawning costs about what it saves.',
    '',
    '| size | contender | M vec/s | range |',
    '| --- | --- | ---: | --- |',
    ...rows.map((r) => `| ${r.size} | ${r.contender} | ${fmt(r.medianVecPerSec)} | ${fmt(r.minVecPerSec)}-${fmt(r.maxVecPerSec)} |`),
    '',
    `- native (1 thread) over js at 10,000 x 128: **${ratios.nativeOverJs_10000x128.toFixed(1)}x** (target: at least 30x)`,
    `- native (1 thread) over a plain copy at 1,000,000 x 128: **${ratios.nativeOneThreadOverCopy_1000000x128.toFixed(2)}x** (target: at least 0.9x)`,
    '',
  ].join('\n');
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/quantize-int8.json', JSON.stringify({ machine, rounds, rows, ratios }, null, 2) + '\n');
  writeFileSync('bench-results/quantize-int8.md', md);
  console.log(md);
}

main();
