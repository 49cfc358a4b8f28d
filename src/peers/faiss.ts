import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { IndexMetricName } from '../distance/metrics.js';
import { AnswerError } from '../errors.js';

/**
 * FAISS as a peer: a Python worker (peers/faiss_worker.py) started with `python3`, or VECTRO_PYTHON,
 * that builds and searches one FAISS index and times its own calls. Vectors reach it as raw float32
 * files in a temporary folder; requests and answers are JSON lines over its stdin and stdout. Every
 * way it can fail (no Python, no faiss module, a factory string FAISS refuses, a crash, a hang) ends
 * in a FaissError with one line that says so.
 */
export class FaissError extends Error {
  constructor(
    message: string,
    /** `unavailable`: no Python or no faiss (skip the peer); `refused`: FAISS said no; `failed`: it crashed or hung. */
    readonly kind: 'unavailable' | 'refused' | 'failed',
  ) {
    super(message);
    this.name = 'FaissError';
  }
}

const WORKER = fileURLToPath(new URL('../../../peers/faiss_worker.py', import.meta.url));
const INSTALL = 'pip install faiss-cpu numpy, or point VECTRO_PYTHON at a Python that has them';

/** Seconds a request may take before the worker counts as hung: VECTRO_FAISS_TIMEOUT, default 1 hour. */
function timeoutMs(): number {
  const s = Number(process.env.VECTRO_FAISS_TIMEOUT);
  return (Number.isFinite(s) && s > 0 ? s : 3600) * 1000;
}

export interface FaissBuild {
  build_seconds: number;
  index_bytes: number;
  peak_rss_bytes: number;
  /** FAISS's class for the index, e.g. IndexHNSWFlat. */
  type: string;
}

/** The timed passes of vectro's recall measurement, applied by the worker to its own calls. */
export interface PassPlan {
  min: number;
  max: number;
  minSeconds: number;
  maxSeconds: number;
  passSeconds: number;
  passQueries: number;
}

export interface FaissSearch {
  ids: Uint32Array;
  /** FAISS's own: squared l2 distances (smaller first), or inner products (larger first). */
  distances: Float32Array;
  qps: number;
  timed: number;
  latencies: Float64Array;
  batchQps: number;
}

/** What a build answer must hold (JSON carries no NaN, so a number is finite). */
const buildAnswer = z.object({
  build_seconds: z.number().nonnegative(),
  index_bytes: z.number().int().positive(),
  peak_rss_bytes: z.number().nonnegative(),
  type: z.string(),
});
/** What a search answer must hold; the ids and distances come in files, checked by their sizes. */
const searchAnswer = z.object({
  qps: z.number().positive(),
  timed: z.number().int().positive(),
  latencies_ms: z.array(z.number().nonnegative()),
  batch_qps: z.number().positive(),
});

/** Workers not yet closed, so a long-lived process (the bench worker) can close them all at its end. */
const open = new Set<FaissWorker>();

/** Closes every FAISS worker this process started. */
export function closeFaissWorkers(): void {
  for (const w of open) w.close();
}

export class FaissWorker {
  private readonly lines: AsyncIterator<string>;
  private readonly dir = mkdtempSync(join(tmpdir(), 'vectro-faiss-'));
  private exited: string | undefined;
  private readonly exit: Promise<void>;
  private dim = 0;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly version: string,
    lines: AsyncIterator<string>,
    /** The last 4,000 characters the worker wrote to stderr, kept by one listener since it started. */
    private readonly stderr: { tail: string },
  ) {
    this.lines = lines;
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(void (this.exited = signal ?? `exit code ${code}`))));
  }

  /** Starts a worker; throws FaissError('unavailable') without Python or faiss. */
  static async start(): Promise<FaissWorker> {
    const python = process.env.VECTRO_PYTHON || 'python3';
    // A process group of its own, so that a wrapper script's children (VECTRO_PYTHON may be one
    // that starts Python without exec) are stopped with it.
    const child = spawn(python, ['-u', WORKER], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    // A worker that died before reading its request must not crash vectro with EPIPE.
    child.stdin.on('error', () => undefined);
    groups.add(child);
    child.once('exit', () => groups.delete(child));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const stderr = { tail: '' };
    child.stderr.on('data', (b: Buffer) => (stderr.tail = (stderr.tail + b.toString()).slice(-4000)));
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (err) => (spawnError = err));
    const first = await withTimeout(lines.next(), 60_000, `${python} did not start the FAISS worker within 60 s`).catch((err: Error) => {
      killGroup(child, 'SIGKILL');
      throw new FaissError(err.message, 'unavailable');
    });
    if (first.done) await new Promise((r) => setTimeout(r, 50)); // let a spawn error arrive
    if (spawnError) {
      throw new FaissError(
        spawnError.code === 'ENOENT'
          ? `${python} not found; FAISS needs Python 3 with faiss-cpu (${INSTALL})`
          : `cannot start ${python}: ${spawnError.message}`,
        'unavailable',
      );
    }
    const hello = first.done ? undefined : parseLine(first.value);
    if (hello?.type === 'ready') {
      const w = new FaissWorker(child, String(hello.faiss), lines, stderr);
      open.add(w);
      return w;
    }
    killGroup(child, 'SIGKILL');
    if (hello?.type === 'error' && hello.kind === 'import') {
      throw new FaissError(`faiss is not importable by ${python} (${String(hello.message)}); ${INSTALL}`, 'unavailable');
    }
    const said = lastLine(stderr.tail) ?? (first.done ? 'no output' : String(first.value).slice(0, 200));
    throw new FaissError(`${python} could not run the FAISS worker: ${said}`, 'unavailable');
  }

  /** Sends one request and waits for its answer; a crash or a hang ends the worker with a FaissError. */
  private async request<T>(req: Record<string, unknown>): Promise<T> {
    if (this.exited) throw new FaissError(`the FAISS worker has stopped (${this.exited})`, 'failed');
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    let next: IteratorResult<string>;
    try {
      next = await withTimeout(this.lines.next(), timeoutMs(), `the FAISS worker did not answer '${String(req.op)}' within ${timeoutMs() / 1000} s`);
    } catch (err) {
      killGroup(this.child, 'SIGKILL');
      throw new FaissError((err as Error).message, 'failed');
    }
    if (next.done) {
      // Its output closed: wait (briefly) for the exit status, which says how it ended.
      await Promise.race([this.exit, new Promise((r) => setTimeout(r, 2000))]);
      const why = this.exited ?? 'its output closed';
      throw new FaissError(
        `the FAISS worker stopped during '${String(req.op)}' (${why})${lastLine(this.stderr.tail) ? `: ${lastLine(this.stderr.tail)}` : ''}`,
        'failed',
      );
    }
    const answer = parseLine(next.value);
    if (!answer) throw new FaissError(`the FAISS worker answered something that is not JSON: ${next.value.slice(0, 200)}`, 'failed');
    if (answer.ok !== true) throw new FaissError(this.scrub(String(answer.message)), answer.kind === 'factory' ? 'refused' : 'failed');
    return answer as T;
  }

  /** A worker's message without the temporary folder's path, which means nothing to a user. */
  private scrub(message: string): string {
    return message.split(this.dir).join('<temp>');
  }

  /** The answer checked against `schema`; AnswerError naming what is wrong otherwise. */
  private checked<T>(op: string, schema: z.ZodType<T>, answer: unknown): T {
    const r = schema.safeParse(answer);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    throw new AnswerError(`FAISS answered '${op}' with ${issue.path.join('.') || 'its answer'}: ${issue.message}; its results are refused`);
  }

  /** Builds `factory` over `base` (count x dim float32, row-major); cosine normalises inside FAISS. */
  async build(o: {
    factory: string;
    metric: IndexMetricName;
    base: Float32Array;
    dim: number;
    efc?: number;
    refine?: number;
    threads: number;
  }): Promise<FaissBuild> {
    const path = join(this.dir, 'base.f32');
    writeFileSync(path, new Uint8Array(o.base.buffer, o.base.byteOffset, o.base.byteLength));
    this.dim = o.dim;
    try {
      const answer = await this.request<unknown>({
        op: 'build',
        factory: o.factory,
        metric: o.metric,
        dim: o.dim,
        base: path,
        count: o.base.length / o.dim,
        efc: o.efc ?? null,
        refine: o.refine ?? 0,
        threads: o.threads,
      });
      return this.checked('build', buildAnswer, answer);
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Times one-query calls over `queries` in passes, then all queries in one call on `threads` threads. */
  async search(o: {
    queries: Float32Array;
    k: number;
    params: Record<string, number>;
    threads: number;
    warmup: number;
    passes: PassPlan;
  }): Promise<FaissSearch> {
    const count = o.queries.length / this.dim;
    const qPath = join(this.dir, 'queries.f32');
    const idsPath = join(this.dir, 'ids.i32');
    const distancesPath = join(this.dir, 'distances.f32');
    writeFileSync(qPath, new Uint8Array(o.queries.buffer, o.queries.byteOffset, o.queries.byteLength));
    const answer = await this.request<unknown>({
      op: 'search',
      queries: qPath,
      count,
      k: o.k,
      params: o.params,
      threads: o.threads,
      warmup: o.warmup,
      passes: o.passes,
      ids: idsPath,
      distances: distancesPath,
    });
    const r = this.checked('search', searchAnswer, answer);
    const read = (path: string, what: string) => {
      const raw = readFileSync(path, { flag: 'r' });
      rmSync(path, { force: true });
      if (raw.length !== count * o.k * 4)
        throw new AnswerError(`FAISS answered 'search' with ${raw.length / 4} ${what} for ${count} queries x k = ${o.k}; its results are refused`);
      return raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
    };
    // FAISS marks missing results with -1: as u32 that is 0xffffffff, vectro's own "none".
    const ids = new Uint32Array(read(idsPath, 'ids'));
    const distances = new Float32Array(read(distancesPath, 'distances'));
    return { ids, distances, qps: r.qps, timed: r.timed, latencies: Float64Array.from(r.latencies_ms), batchQps: r.batch_qps };
  }

  close(): void {
    open.delete(this);
    if (!this.exited) {
      if (this.child.stdin.writable) this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
      setTimeout(() => killGroup(this.child, 'SIGKILL'), 2000).unref();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Worker process groups still running; killed if vectro exits first (Ctrl-C, an error). */
const groups = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of groups) killGroup(child, 'SIGKILL');
});

/** Signals the worker's whole process group (Python and anything a wrapper script started). */
function killGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // the group is gone; the child itself may not be
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() || undefined;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}

let probed: Promise<{ ok: true; version: string } | { ok: false; reason: string }> | undefined;

/** Whether FAISS can run here (started once per process): its version, or the one-line reason it cannot. */
export function probeFaiss(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  probed ??= FaissWorker.start().then(
    (w) => {
      w.close();
      return { ok: true as const, version: w.version };
    },
    (err: Error) => ({ ok: false as const, reason: err.message }),
  );
  return probed;
}

/** The search parameter a factory string sweeps: efSearch for HNSW, nprobe for IVF, none otherwise. */
export function sweptParameter(factory: string): 'efSearch' | 'nprobe' | undefined {
  if (/(^|,)IVF\d+/.test(factory)) return 'nprobe';
  if (/(^|,)HNSW\d+/.test(factory)) return 'efSearch';
  return undefined;
}

/** nlist of an IVF factory string, e.g. 1024 for `IVF1024,Flat`. */
export function nlistOf(factory: string): number | undefined {
  const m = /(^|,)IVF(\d+)/.exec(factory);
  return m ? Number(m[2]) : undefined;
}
