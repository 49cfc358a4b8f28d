/**
 * FAISS as a peer. The adapter's failure modes are tested everywhere with stand-in workers (shell
 * scripts that crash, hang, or lack faiss); FAISS itself is tested wherever faiss imports, and must
 * import where VECTRO_EXPECT_FAISS=1 (CI installs faiss-cpu in a venv and sets it).
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { probeFaiss } from '../src/peers/faiss.js';
import type { RecallFile } from '../src/recall/schema.js';
import type { BenchFile } from '../src/bench/schema.js';
import { cli, native, tempDir, writeFile } from './helpers.js';

const dir = tempDir();
const faiss = await probeFaiss();
if (process.env.VECTRO_EXPECT_FAISS === '1') {
  test('faiss imports where CI installed it', () => assert.ok(faiss.ok, faiss.ok ? '' : faiss.reason));
}
const skipWithoutFaiss = faiss.ok ? false : `faiss not importable: ${faiss.reason}`;

/** A stand-in for python3: a shell script run as `VECTRO_PYTHON`, given the worker's arguments. */
function fakePython(name: string, body: string): string {
  const path = writeFile(dir, name, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const READY = `echo '{"type":"ready","faiss":"stub","numpy":"0","python":"0"}'`;
/** `vectro recall` on 20 queries, k 10 and ef 16 unless `args` give their own (a flag may be given once). */
const recall = (args: string[], env: Record<string, string>) => {
  const defaults = [
    ['--queries', '20'],
    ['--ef', '16'],
    ['-k', '10'],
  ]
    .filter(([flag]) => !args.includes(flag))
    .flat();
  return cli(['recall', ...defaults, ...args], { VECTRO_DATA_DIR: join(dir, 'cache'), ...env });
};

test('without Python or faiss, recall runs the rest and says in one line that FAISS was skipped', () => {
  const noFaiss = fakePython('no-faiss', `echo '{"type":"error","kind":"import","message":"ModuleNotFoundError: No module named '"'"'faiss'"'"'"}'; exit 3`);
  const cases: [Record<string, string>, RegExp][] = [
    [
      { VECTRO_PYTHON: join(dir, 'no-such-python') },
      /^note: skipping FAISS: .*no-such-python not found; FAISS needs Python 3 with faiss-cpu \(pip install faiss-cpu numpy, or point VECTRO_PYTHON at a Python that has them\)$/m,
    ],
    [
      { VECTRO_PYTHON: noFaiss },
      /^note: skipping FAISS: faiss is not importable by .*no-faiss \(ModuleNotFoundError: No module named 'faiss'\); pip install faiss-cpu/m,
    ],
  ];
  for (const [env, note] of cases) {
    const r = recall(['--configs', 'hnsw,m=8,efc=40', '--backend', 'js,faiss', '--json', join(dir, 'r.json')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, note);
    assert.equal(r.stderr.split('\n').filter((l) => /FAISS|faiss/.test(l)).length, 1, r.stderr);
    const f = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as RecallFile;
    assert.deepEqual([...new Set(f.points.map((p) => p.backend))], ['js']);
  }
  const only = recall(['--configs', 'flat', '--backend', 'faiss'], { VECTRO_PYTHON: join(dir, 'no-such-python') });
  assert.equal(only.code, 2);
  assert.match(only.stderr, /^error: --backend faiss: .*no-such-python not found/);
});

test('a FAISS worker that crashes or hangs costs its own run: one line, the rest goes on', () => {
  const crash = fakePython('crash', `${READY}\nread line\necho 'Segmentation fault (stub)' >&2\nexit 7`);
  const hang = fakePython('hang', `${READY}\nread line\nsleep 30`);
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'crash',
      { VECTRO_PYTHON: crash },
      /^skipped hnsw,m=8,efc=40,storage=f32 on faiss: the FAISS worker stopped during 'build' \(exit code 7\): Segmentation fault \(stub\)$/m,
    ],
    [
      'hang',
      { VECTRO_PYTHON: hang, VECTRO_FAISS_TIMEOUT: '2' },
      /^skipped hnsw,m=8,efc=40,storage=f32 on faiss: the FAISS worker did not answer 'build' within 2 s$/m,
    ],
  ];
  for (const [what, env, line] of cases) {
    const r = recall(['--configs', 'hnsw,m=8,efc=40', 'flat', '--backend', 'faiss,js', '--json', join(dir, `${what}.json`)], env);
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.match(r.stdout, line, what);
    const f = JSON.parse(readFileSync(join(dir, `${what}.json`), 'utf8')) as RecallFile;
    assert.ok(
      f.points.some((p) => p.backend === 'js' && p.config === 'flat'),
      `${what}: the js runs still ran`,
    );
  }
});

test('faiss: configurations need the faiss backend; their keys are checked', () => {
  const r = cli(['recall', '--configs', 'faiss:IVF16,Flat', '--backend', 'js']);
  assert.equal(r.code, 2);
  assert.match(r.stderr.trimEnd(), /^error: --configs 'faiss:IVF16,Flat': runs on FAISS; add faiss to --backend$/);
  for (const [spec, message] of [
    ['faiss:', /expected a FAISS factory string after 'faiss:'/],
    ['faiss:HNSW16,m=3', /unknown parameter 'm' \(faiss: takes efc and refine\)/],
    ['faiss:HNSW16,efc=0x10', /efc: expected a whole number/],
    ['faiss:IVF16;rm -rf,Flat', /expected a FAISS factory string/],
  ] as const) {
    const bad = cli(['recall', '--configs', spec, '--backend', 'faiss']);
    assert.equal(bad.code, 2, spec);
    assert.match(bad.stderr, message, spec);
  }
});

test("FAISS for real: exact Flat agrees with vectro's ground truth; HNSW and IVF sweep; a refused factory is one line", { skip: skipWithoutFaiss }, () => {
  const out = join(dir, 'real.json');
  const r = recall(
    [
      '--configs',
      'faiss:Flat',
      'faiss:HNSW16,efc=100',
      'faiss:IVF32,Flat',
      'faiss:IVF32,RaBitQfs4,refine=5',
      'faiss:NOPE',
      '--backend',
      'faiss',
      '--ef',
      '16,64',
      '--nprobe',
      '1,8,32,64',
      '--queries',
      '100',
      '--json',
      out,
    ],
    {},
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^skipped faiss:NOPE on faiss: FAISS refuses the factory string 'NOPE': could not parse index string NOPE$/m);
  const f = JSON.parse(readFileSync(out, 'utf8')) as RecallFile;
  const of = (config: string) => f.points.filter((p) => p.config === config);
  assert.deepEqual(
    of('faiss:Flat').map((p) => [p.ef, p.recall_1, p.recall_10]),
    [[null, 1, 1]],
    'exact search finds the true neighbours (ties within 1e-3)',
  );
  assert.deepEqual(
    of('faiss:HNSW16,efc=100').map((p) => p.ef),
    [16, 64],
  );
  assert.deepEqual(
    of('faiss:IVF32,Flat').map((p) => [p.sweep, p.ef]),
    [
      ['nprobe', 1],
      ['nprobe', 8],
      ['nprobe', 32],
    ],
    'nprobe above nlist is skipped',
  );
  assert.equal(of('faiss:IVF32,Flat').at(-1)!.recall_10, 1, 'every list probed: exact');
  assert.ok(of('faiss:IVF32,RaBitQfs4,refine=5').at(-1)!.recall_10! >= 0.95);
  for (const b of f.builds) {
    assert.equal(b.backend, 'faiss');
    assert.ok(b.index_bytes > 0 && b.peak_rss_bytes > 0 && b.build_seconds >= 0, JSON.stringify(b));
  }
  assert.ok(f.points.every((p) => p.qps > 0 && p.batch_qps! > 0 && p.timed_queries === 100));
});

const own = native.ok ? 'native' : 'js';

test('vectro bench: FAISS HNSW beside the others in the index suites; a failing worker skips its cases', async (t) => {
  const crash = fakePython('crash-bench', `${READY}\nread line\nexit 9`);
  const r = cli(['bench', 'hnsw-build', '--quick', '--count', '2000', '--backend', `${own},faiss`], { VECTRO_PYTHON: crash });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^skipped faiss in hnsw-build › build 2000x128 threads=1: the FAISS worker stopped during 'build' \(exit code 9\)$/m);
  if (skipWithoutFaiss) return t.skip(skipWithoutFaiss);
  const out = join(dir, 'bench.json');
  const b = cli(['bench', 'hnsw-build', 'hnsw-search', '--quick', '--count', '2000', '--backend', `${own},faiss`, '--json', out]);
  assert.equal(b.code, 0, b.stderr);
  const results = (JSON.parse(readFileSync(out, 'utf8')) as BenchFile).results.filter((x) => x.backend === 'faiss');
  assert.ok(results.some((x) => x.suite === 'hnsw-build' && (x.index_bytes as number) > 0));
  const search = results.filter((x) => x.suite === 'hnsw-search');
  assert.equal(search.length, 6, 'every ef');
  assert.ok(
    search.every((x) => x.median > 0 && (x.recall as number) > 0.8),
    JSON.stringify(search.map((x) => x.recall)),
  );
});
