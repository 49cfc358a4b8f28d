import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/native/loader.js';
import { VectorReader } from '../src/formats/vectors.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'vectro.js');
export const SIFTSMALL = join(ROOT, 'fixtures', 'siftsmall', 'siftsmall_base.fvecs');

/** A fresh temp folder, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vectro-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Files in `dir`, to check that nothing half-written was left behind. */
export const listDir = (dir: string) => readdirSync(dir).sort();

/** mulberry32: a small seeded generator, independent of the code under test. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVectors(count: number, dim: number, seed: number, scale = 4): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: count * dim }, () => (next() * 2 - 1) * scale);
}

/** Native addon, or a skip reason for tests that need it. */
export const native = loadNative();
export const skipWithoutNative = native.ok ? false : `native addon not loaded: ${native.ok ? '' : native.reason}`;

// Writers for every input format, written here from the format descriptions (not with vectro's own
// writers), so reading them back checks the readers against an independent encoder.

type Elem = 'f4' | 'i4' | 'u1' | 'i1';
const ELEM_BYTES: Record<Elem, number> = { f4: 4, i4: 4, u1: 1, i1: 1 };

function putElem(view: DataView, at: number, elem: Elem, v: number): void {
  if (elem === 'f4') view.setFloat32(at, v, true);
  else if (elem === 'i4') view.setInt32(at, v, true);
  else if (elem === 'u1') view.setUint8(at, v);
  else view.setInt8(at, v);
}

/** TEXMEX: per record an int32 dimension then the values. `dims` may differ per record. */
export function texmexBytes(rows: number[][], elem: Elem, dims = rows.map((r) => r.length)): Buffer {
  const size = rows.reduce((s, r) => s + 4 + r.length * ELEM_BYTES[elem], 0);
  const buf = Buffer.alloc(size);
  const view = new DataView(buf.buffer, buf.byteOffset, size);
  let at = 0;
  rows.forEach((row, i) => {
    view.setInt32(at, dims[i], true);
    at += 4;
    for (const v of row) {
      putElem(view, at, elem, v);
      at += ELEM_BYTES[elem];
    }
  });
  return buf;
}

/** big-ann: uint32 n, uint32 d, values. */
export function bigAnnBytes(rows: number[][], elem: Elem, header = [rows.length, rows[0]?.length ?? 0]): Buffer {
  const values = rows.flat();
  const buf = Buffer.alloc(8 + values.length * ELEM_BYTES[elem]);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  view.setUint32(0, header[0], true);
  view.setUint32(4, header[1], true);
  values.forEach((v, i) => putElem(view, 8 + i * ELEM_BYTES[elem], elem, v));
  return buf;
}

/** .npy version 1.0 with the given descr and shape text. */
export function npyBytes(values: number[], elem: Elem, descr: string, shape: string, fortran = 'False'): Buffer {
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  while ((10 + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(dict.length, 8);
  const body = Buffer.alloc(values.length * ELEM_BYTES[elem]);
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  values.forEach((v, i) => putElem(view, i * ELEM_BYTES[elem], elem, v));
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), body]);
}

export function writeFile(dir: string, name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (bin/vectro.js) as a user would. */
export function cli(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs command lines in one long-lived child process (test/cli-host.ts), in order: the same
 * main() as bin/vectro.js, without Node's start-up per command. `close()` when done.
 */
export class CliHost {
  private readonly child = fork(fileURLToPath(new URL('./cli-host.js', import.meta.url)), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private readonly waiting = new Map<number, (r: CliResult) => void>();
  private nextId = 0;

  constructor() {
    this.child.on('message', (m: CliResult & { id: number }) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  run(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, args, env });
    });
  }

  close(): void {
    this.child.kill();
  }
}

/** Starts the CLI without waiting, for tests that signal it. */
export function cliSpawn(args: string[]) {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

export const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/**
 * Runs each command line and checks it fails as a user should see it: exactly one stderr line,
 * matching `message`, and the given exit code.
 */
export function expectCliErrors(cases: [string[], number, RegExp][]): void {
  for (const [args, code, message] of cases) {
    const r = cli(args);
    if (r.code !== code) throw new Error(`${args.join(' ')}: exit ${r.code}, expected ${code}; stderr: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    if (lines.length !== 1) throw new Error(`${args.join(' ')}: expected one error line, got:\n${r.stderr}`);
    if (!message.test(lines[0])) throw new Error(`${args.join(' ')}: '${lines[0]}' does not match ${message}`);
  }
}

/** Every vector of a file, as one Float32Array. */
export async function readAllVectors(path: string): Promise<Float32Array> {
  const r = await VectorReader.open(path);
  const x = new Float32Array(r.info.count * r.info.dim);
  await r.read(0, r.info.count, x);
  await r.close();
  return x;
}

/** Runs the CLI without blocking this process's event loop (for tests that serve it over HTTP). */
export function cliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
