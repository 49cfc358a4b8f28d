/**
 * Issue 25, one regression test per defect (each failed on 7919033): vectro never touches what is
 * not its own (temporaries, devices, the files a run caches), stops cleanly during an index write,
 * believes no peer's answer, refuses data whose distances overflow float32, and says which file.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AnswerError, InterruptedError } from '../src/errors.js';
import { checkResults } from '../src/evaluation/answers.js';
import { RecallJudge } from '../src/recall/measure.js';
import { recallAtK } from '../src/index/recall.js';
import { readIndex, writeIndex, type IndexData } from '../src/index/format.js';
import { sweepStaleTemps } from '../src/formats/scratch.js';
import { BIN, CliHost, cli, listDir, native, rng, ROOT, tempDir, texmexBytes, writeFile, type CliResult } from './helpers.js';

const host = new CliHost();
after(() => host.close());
const BACKENDS = native.ok ? ['native', 'js'] : ['js'];
const root = process.getuid?.() === 0;
const dir = tempDir();
chmodSync(dir, 0o755); // reachable by the unprivileged user of the permission test

function assertFails(r: CliResult, code: number, message: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, /^error: [^\n]*\n$/, `${what}: exactly one error line, got ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr.trimEnd(), message, what);
}

const rows = (count: number, dim: number, seed: number) => {
  const next = rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: dim }, () => Math.floor(next() * 32)));
};
const base = writeFile(dir, 'base.fvecs', texmexBytes(rows(300, 8, 1), 'f4'));
const queries = writeFile(dir, 'q.fvecs', texmexBytes(rows(12, 8, 2), 'f4'));
/** The same vectors as a dataset folder, for `vectro recall`. */
const dataset = join(dir, 'ds');
mkdirSync(dataset);
writeFileSync(join(dataset, 'x_base.fvecs'), readFileSync(base));
writeFileSync(join(dataset, 'x_query.fvecs'), readFileSync(queries));

describe('1. an output removes only what vectro can prove it made', () => {
  test("a user's *.tmp-N files and folders, and lookalike names without a record, survive every command", async () => {
    const out = join(dir, 'own');
    mkdirSync(join(out, 'photos.tmp-2024'), { recursive: true });
    writeFileSync(join(out, 'photos.tmp-2024', 'a.jpg'), 'x');
    writeFileSync(join(out, 'thesis.tmp-31337'), 'y');
    // vectro's own temporary name for a dead pid, but no ownership record says a run made it.
    writeFileSync(join(out, '.gt.ivecs.vectro-tmp-4194305-0123abcd'), 'not provably ours');
    const index = join(out, 'i.vidx');
    const runs: string[][] = [
      ['quantize', base, '-o', join(out, 'x.vq'), '-q'],
      ['index', 'build', base, '-o', index, '--m', '4', '--ef-construction', '8', '-q'],
      ['index', 'search', index, queries, '-k', '3', '-o', join(out, 'r.ivecs'), '-q'],
      ['groundtruth', base, queries, '-k', '3', '-o', join(out, 'g.ivecs'), '-q'],
    ];
    for (const args of runs) assert.equal((await host.run(args)).code, 0, args.join(' '));
    assert.deepEqual(listDir(out), ['.gt.ivecs.vectro-tmp-4194305-0123abcd', 'g.ivecs', 'i.vidx', 'photos.tmp-2024', 'r.ivecs', 'thesis.tmp-31337', 'x.vq']);
    assert.deepEqual(readdirSync(join(out, 'photos.tmp-2024')), ['a.jpg']);
  });

  test("a dead run's record removes exactly what it lists: its files, its folder's files, never a link's target or another machine's", () => {
    const out = join(dir, 'stale');
    mkdirSync(out);
    const dead = `4194305-${'ab'.repeat(6)}`;
    const temp = (name: string) => `.${name}.vectro-tmp-${dead}-0`;
    writeFileSync(join(out, temp('gt.ivecs')), 'half');
    mkdirSync(join(out, `.set.vectro-tmp-${dead}-1`));
    writeFileSync(join(out, `.set.vectro-tmp-${dead}-1`, 'base.fbin'), 'half');
    const precious = join(dir, 'precious.txt');
    writeFileSync(precious, 'keep');
    symlinkSync(precious, join(out, `.link.vectro-tmp-${dead}-2`));
    writeFileSync(join(out, `.other.vectro-tmp-${dead}-3`), 'listed by no record');
    writeFileSync(
      join(out, `.vectro-run-${dead}.lock`),
      `vectro-run ${dead} ${hostname()}\nfile ${temp('gt.ivecs')}\ndir .set.vectro-tmp-${dead}-1\nfile .link.vectro-tmp-${dead}-2\nfile ../precious.txt\nfile notes.txt\n`,
    );
    writeFileSync(join(out, 'notes.txt'), 'a user file a forged record names');
    // Another machine's run on a shared folder: its pid means nothing here.
    const remote = `4194306-${'cd'.repeat(6)}`;
    writeFileSync(join(out, `.x.vectro-tmp-${remote}-0`), 'theirs');
    writeFileSync(join(out, `.vectro-run-${remote}.lock`), `vectro-run ${remote} another-host\nfile .x.vectro-tmp-${remote}-0\n`);
    sweepStaleTemps(out);
    assert.deepEqual(listDir(out), [
      `.link.vectro-tmp-${dead}-2`,
      `.other.vectro-tmp-${dead}-3`,
      `.vectro-run-${remote}.lock`,
      `.x.vectro-tmp-${remote}-0`,
      'notes.txt',
    ]);
    assert.ok(lstatSync(join(out, `.link.vectro-tmp-${dead}-2`)).isSymbolicLink(), 'a link is not a file of ours: left');
    assert.equal(readFileSync(precious, 'utf8'), 'keep');
  });

  test('a live run keeps its temporaries; a finished one leaves no record behind', async () => {
    const out = join(dir, 'live');
    mkdirSync(out);
    const live = `${process.pid}-${'ef'.repeat(6)}`;
    writeFileSync(join(out, `.a.vectro-tmp-${live}-0`), 'in progress');
    writeFileSync(join(out, `.vectro-run-${live}.lock`), `vectro-run ${live} ${hostname()}\nfile .a.vectro-tmp-${live}-0\n`);
    assert.equal((await host.run(['groundtruth', base, queries, '-k', '3', '-o', join(out, 'g.ivecs'), '-q'])).code, 0);
    assert.deepEqual(listDir(out), [`.a.vectro-tmp-${live}-0`, `.vectro-run-${live}.lock`, 'g.ivecs']);
  });
});

describe('2. a device, a FIFO or - is written in place, never replaced', () => {
  const mknod = (path: string, kind: 'c' | 'b', major: number, minor: number) => spawnSync('mknod', [path, kind, String(major), String(minor)]).status === 0;

  test('a character device stays a device (a private /dev/null made with mknod)', { skip: root ? false : 'mknod needs root' }, async () => {
    const devnull = join(dir, 'null');
    assert.ok(mknod(devnull, 'c', 1, 3));
    const runs: string[][] = [
      ['quantize', base, '-o', devnull, '-q'],
      ['groundtruth', base, queries, '-k', '3', '-o', devnull, '-q'],
      ['index', 'build', base, '-o', devnull, '--type', 'flat', '-q'],
      ['recall', dataset, '-k', '3', '--configs', 'flat', '-q', '--json', devnull, '--csv', join(dir, 'r.csv')],
    ];
    for (const args of runs) {
      const r = await host.run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(statSync(devnull).isCharacterDevice(), `${args[0]}: the device was replaced`);
    }
    assert.ok(!listDir(dir).some((f) => f.includes('vectro-')), listDir(dir).join(' '));
  });

  test('a block device is refused in one line, exit 2, before any work', { skip: root ? false : 'mknod needs root' }, async () => {
    const block = join(dir, 'blk.vq');
    assert.ok(mknod(block, 'b', 7, 200));
    assertFails(
      await host.run(['quantize', base, '-o', block]),
      2,
      /^error: -o .*blk\.vq: is a block device; vectro writes regular files, character devices \(\/dev\/null\) and FIFOs$/,
      'block',
    );
    assert.ok(statSync(block).isBlockDevice());
  });

  test('a FIFO gets the bytes a file would, and stays a FIFO', async () => {
    const fifo = join(dir, 'pipe.ivecs');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => chunks.push(c));
    const read = new Promise((r) => reader.on('close', r));
    assert.equal((await host.run(['groundtruth', base, queries, '-k', '3', '-o', fifo, '-q'])).code, 0);
    await read;
    assert.equal((await host.run(['groundtruth', base, queries, '-k', '3', '-o', join(dir, 'file.ivecs'), '-q'])).code, 0);
    assert.deepEqual(Buffer.concat(chunks), readFileSync(join(dir, 'file.ivecs')));
    assert.ok(statSync(fifo).isFIFO());
  });

  test('-o - sends the data to stdout and the report to stderr', () => {
    const r = spawnSync(process.execPath, [BIN, 'groundtruth', base, queries, '-k', '3', '-o', '-', '--json'], { cwd: ROOT });
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(r.stdout, readFileSync(join(dir, 'file.ivecs')));
    assert.equal(JSON.parse(String(r.stderr)).queries, 12);
    const both = cli(['recall', '--configs', 'flat', '--json', '-', '--csv', '-']);
    assert.match(both.stderr, /^error: --csv -: --json writes to stdout already; give one of them a file\n$/);
  });
});

describe('3. recall exports never land on the files a run reads or caches', () => {
  test('the data cache is refused, exit 2, before the suite runs, and left as it was', async () => {
    const cache = join(dir, 'cache');
    mkdirSync(join(cache, 'difficulty'), { recursive: true });
    mkdirSync(join(cache, 'mine'));
    writeFileSync(join(cache, 'mine', 'vectro-dataset.json'), '{"the":"manifest"}');
    for (const [flag, path] of [
      ['--markdown', join(cache, 'difficulty', 'x.json')],
      ['--json', join(cache, 'mine', 'vectro-dataset.json')],
    ]) {
      const started = performance.now();
      assertFails(
        await host.run(['recall', '--configs', 'flat', '-q', flag, path], { VECTRO_DATA_DIR: cache }),
        2,
        /is inside .*cache, vectro's data cache \(VECTRO_DATA_DIR\), which this run reads and writes; write it elsewhere$/,
        flag,
      );
      assert.ok(performance.now() - started < 5000, `${flag}: refused before the suite`);
    }
    assert.equal(readFileSync(join(cache, 'mine', 'vectro-dataset.json'), 'utf8'), '{"the":"manifest"}');
    assert.deepEqual(listDir(join(cache, 'difficulty')), []);
  });
});

describe('4. an interrupt during an index write leaves nothing', () => {
  const dim = 16;
  const count = 150_000; // 9.6 MB of vectors: more than one write block
  const vectors = Float32Array.from({ length: count * dim }, (_, i) => (i % 97) - 48);
  const data: IndexData = {
    type: 'flat',
    metric: 'l2',
    storage: 'f32',
    keepVectors: false,
    dim,
    count,
    m: 0,
    efConstruction: 0,
    maxLevel: 0,
    entry: -1,
    seedHigh: 0,
    seedLow: 0,
    vectors,
    codes: new Uint8Array(0),
    scales: new Float32Array(0),
    center: new Float32Array(0),
    levels: new Uint8Array(0),
    links0: new Uint32Array(0),
    upper: new Uint32Array(0),
  };

  test('at every point where the writer looks, a stop removes the temporary file and writes nothing', async () => {
    const out = join(dir, 'w');
    mkdirSync(out);
    let points = 0;
    for (let stopAt = 1; ; stopAt++) {
      let looks = 0;
      const signal = {
        get aborted() {
          return ++looks >= stopAt;
        },
        reason: 'SIGINT',
      } as unknown as AbortSignal;
      try {
        await writeIndex(join(out, 'i.vidx'), data, signal);
        assert.ok(stopAt > 2, 'a write looks at the signal more than once');
        break; // every look passed: the file is written
      } catch (err) {
        assert.ok(err instanceof InterruptedError && err.exitCode === 130, String(err));
        assert.deepEqual(listDir(out), [], `stopped at look ${stopAt}`);
        points++;
      }
    }
    assert.ok(points >= 3, `the writer looks between blocks and before the rename (${points} points)`);
    assert.equal((await readIndex(join(out, 'i.vidx'))).count, count);
  });
});

describe('5. answers are checked before they count', () => {
  test('checkResults refuses wrong lengths, ids out of range or repeated, results after a gap, distances out of order', () => {
    const ok = Uint32Array.from([0, 1, 2, 3, 4, 5]);
    checkResults('x', ok, 2, 3, 6, Float32Array.from([0, 1, 1, 0, 2, 3]));
    checkResults('x', Uint32Array.from([0, 1, 0xffffffff]), 1, 3, 6);
    const cases: [Uint32Array, Float32Array | undefined, RegExp][] = [
      [Uint32Array.from([0, 1]), undefined, /returned 2 ids for 2 queries x k = 3/],
      [Uint32Array.from([0, 1, 2, 3, 4, 6]), undefined, /query 1 returned id 6, but the index holds ids 0 to 5/],
      [Uint32Array.from([0, 1, 0, 3, 4, 5]), undefined, /query 0 returned id 0 twice/],
      [Uint32Array.from([0, 0xffffffff, 2, 3, 4, 5]), undefined, /query 0 has a result \(id 2\) after a missing one/],
      [ok, Float32Array.from([0, 2, 1, 0, 0, 0]), /query 0's distances are not in order \(2 before 1\)/],
      [ok, Float32Array.from([0, 1, NaN, 0, 0, 0]), /query 0 returned distance NaN for id 2/],
    ];
    for (const [ids, d, message] of cases)
      assert.throws(
        () => checkResults('faiss:Flat [faiss]', ids, 2, 3, 6, d),
        (e) => e instanceof AnswerError && message.test(e.message) && e.message.startsWith('faiss:Flat [faiss]: '),
      );
  });

  test('the true neighbour returned ten times is one hit, in both recall definitions', () => {
    const dim = 2;
    const x = Float32Array.from({ length: 20 * dim }, (_, i) => i);
    const q = Float32Array.from([0, 1]);
    const truth = Int32Array.from({ length: 10 }, (_, i) => i);
    const judge = new RecallJudge('l2', x, q, dim, truth, 10, 10);
    assert.equal(judge.score(new Uint32Array(10), 10).get(10), 0.1);
    assert.equal(recallAtK(new Uint32Array(10), { ids: truth, count: 1, width: 10 }, 10), 0.1);
  });

  // A stand-in for Python: the real protocol, with one lie per mode.
  const fake = writeFile(
    dir,
    'liar.py',
    `
import json, sys, struct
mode = sys.argv[-1]
print(json.dumps({"type": "ready", "faiss": "liar", "numpy": "0", "python": "0"}), flush=True)
for line in sys.stdin:
    r = json.loads(line)
    if r["op"] == "quit":
        break
    if r["op"] == "build":
        a = {"ok": True, "build_seconds": 0.1, "index_bytes": 1000, "peak_rss_bytes": 1, "type": "IndexFlat"}
        if mode == "nofields":
            a = {"ok": True}
        print(json.dumps(a), flush=True)
        continue
    nq, k = r["count"], r["k"]
    ids = [[(q + j) % 300 for j in range(k)] for q in range(nq)]
    if mode == "range": ids[3][1] = 999999
    if mode == "dup": ids[0] = [ids[0][0]] * k
    if mode == "short": ids = ids[:-1]
    flat = [i for row in ids for i in row]
    open(r["ids"], "wb").write(struct.pack("<%di" % len(flat), *flat))
    d = [float(j) for q in range(nq) for j in range(k)]
    if mode == "order": d[1], d[2] = 5.0, 1.0
    open(r["distances"], "wb").write(struct.pack("<%df" % len(d), *d))
    print(json.dumps({"ok": True, "qps": -1 if mode == "qps" else 100.0, "timed": nq, "latencies_ms": [0.1] * nq, "batch_qps": 1000.0}), flush=True)
`,
  );
  const liar = (mode: string) => {
    const script = writeFile(dir, `liar-${mode}.sh`, `#!/bin/sh\nexec python3 ${fake} ${mode}\n`);
    chmodSync(script, 0o755);
    return script;
  };

  test('a lying FAISS worker is refused in one line naming the contender, exit 1', {
    skip: spawnSync('python3', ['-c', '1']).status === 0 ? false : 'no python3',
  }, async () => {
    const cases: [string, RegExp][] = [
      ['range', /^error: faiss:Flat \[faiss\]: query 3 returned id 999999, but the index holds ids 0 to 299; its results are refused$/],
      ['dup', /^error: faiss:Flat \[faiss\]: query 0 returned id 0 twice; its results are refused$/],
      ['short', /^error: FAISS answered 'search' with 33 ids for 12 queries x k = 3; its results are refused$/],
      ['order', /^error: faiss:Flat \[faiss\]: query 0's distances are not in order \(5 before 1\); its results are refused$/],
      ['qps', /^error: FAISS answered 'search' with qps: .*; its results are refused$/],
      ['nofields', /^error: FAISS answered 'build' with build_seconds: .*; its results are refused$/],
    ];
    for (const [mode, message] of cases) {
      const r = await host.run(['recall', dataset, '-k', '3', '--configs', 'faiss:Flat', '--backend', 'faiss', '-q'], { VECTRO_PYTHON: liar(mode) });
      assertFails(r, 1, message, mode);
    }
  });
});

describe('6. distances that would overflow float32 are refused at read time, on both backends', () => {
  const huge = writeFile(
    dir,
    'huge.fvecs',
    texmexBytes(
      rows(200, 8, 3).map((r) => r.map((v) => (v - 16) * 3e36)),
      'f4',
    ),
  );
  const fine = writeFile(dir, 'fine.fvecs', texmexBytes([Array(8).fill(2 ** 60)], 'f4')); // norm 2^61.5, under 2^62
  test('flat, HNSW, IVF, groundtruth and quantize name the file, the vector and the bound', async () => {
    const message =
      /^error: .*huge\.fvecs: vector 0 has norm [\d.]+e\+37 \(indexes from 0\), above the 2\^62 \(4\.61e18\) vectro takes: its squared distances would overflow float32$/;
    for (const backend of BACKENDS) {
      for (const type of [
        ['--type', 'flat'],
        ['--type', 'hnsw'],
        ['--type', 'ivf', '--nlist', '4'],
      ]) {
        assertFails(await host.run(['index', 'build', huge, '-o', join(dir, 'h.vidx'), ...type, '--backend', backend]), 1, message, `${type[1]} ${backend}`);
      }
      assertFails(
        await host.run(['groundtruth', base, huge, '-k', '3', '-o', join(dir, 'h.ivecs'), '--backend', backend]),
        1,
        message,
        `groundtruth ${backend}`,
      );
    }
    assertFails(await host.run(['quantize', huge, '-o', join(dir, 'h.vq')]), 1, message, 'quantize');
    assert.equal((await host.run(['groundtruth', fine, fine, '-k', '1', '-o', join(dir, 'fine.ivecs'), '-q'])).code, 0, 'just under the bound is taken');
    assert.ok(!listDir(dir).some((f) => f.startsWith('h.')));
  });
});

describe('7. a hung FAISS worker is stopped with everything it started', () => {
  test('a wrapper that starts Python without exec is bounded by VECTRO_FAISS_TIMEOUT; no stack trace, no process left', async () => {
    const marker = `vectro-hang-${process.pid}`;
    const wrapper = writeFile(
      dir,
      'wrapper.sh',
      `#!/bin/sh\npython3 -c "import json,sys,time; print(json.dumps({'type':'ready','faiss':'x','numpy':'0','python':'0'}), flush=True); sys.stdin.readline(); time.sleep(1000)" ${marker}\n`,
    );
    chmodSync(wrapper, 0o755);
    const started = performance.now();
    const r = await host.run(['recall', dataset, '-k', '3', '--configs', 'faiss:Flat', 'flat', '--backend', 'faiss,js'], {
      VECTRO_PYTHON: wrapper,
      VECTRO_FAISS_TIMEOUT: '2',
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^skipped faiss:Flat on faiss: the FAISS worker did not answer 'build' within 2 s$/m);
    assert.doesNotMatch(r.stderr, /EPIPE|at .*\.js:\d+/);
    assert.ok(seconds < 30, `bounded by the timeout: ${seconds.toFixed(1)} s`);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(spawnSync('pgrep', ['-f', marker]).status, 1, 'the sleeping Python was killed with its wrapper');
  });

  test('a worker that dies before its quit is read prints no EPIPE stack, however the race falls', async () => {
    const quitter = writeFile(dir, 'quitter.sh', `#!/bin/sh\necho '{"type":"ready","faiss":"x","numpy":"0","python":"0"}'\nexit 0\n`);
    chmodSync(quitter, 0o755);
    for (let i = 0; i < 5; i++) {
      const r = await host.run(['recall', dataset, '-k', '3', '--configs', 'faiss:Flat', 'flat', '--backend', 'faiss,js', '-q'], { VECTRO_PYTHON: quitter });
      assert.doesNotMatch(r.stderr, /EPIPE|Error:|at .*:\d+:\d+/, r.stderr);
    }
  });
});

describe('9. the smaller ones', () => {
  test('a FIFO given as an index or as vectors is named as a FIFO', async () => {
    const fifo = join(dir, 'in.vidx');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    assertFails(
      await host.run(['index', 'search', fifo, queries]),
      2,
      /^error: .*in\.vidx: is a FIFO, not a regular file; vectro reads its inputs from regular files$/,
      'index',
    );
    assertFails(await host.run(['index', 'info', fifo]), 2, /is a FIFO/, 'info');
  });

  test('hnsw flags on an ivf or flat build, and a flag given twice, are refused', async () => {
    const o = join(dir, 'nine.vidx');
    assertFails(
      await host.run(['index', 'build', base, '-o', o, '--type', 'ivf', '--nlist', '4', '--m', '8']),
      2,
      /^error: --m and --ef-construction: apply to --type hnsw \(this is --type ivf\)$/,
      '--m',
    );
    assertFails(
      await host.run(['index', 'build', base, '-o', o, '--type', 'flat', '--ef-construction', '50']),
      2,
      /apply to --type hnsw \(this is --type flat\)$/,
      '--efc',
    );
    assertFails(
      await host.run(['index', 'build', base, '-o', o, '--type', 'ivf', '--nlist', '4', '--nlist', '8']),
      2,
      /^error: --nlist: given more than once; give it once$/,
      'twice',
    );
    assertFails(await host.run(['index', 'build', base, '-o', o, '--iterations', '3']), 2, /^error: --iterations: applies to --type ivf$/, 'iterations');
    assert.ok(!existsSync(o));
  });

  test('an existing folder the user cannot write to is refused before any work', { skip: root ? false : 'runs the CLI as nobody, which needs root' }, () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const r = spawnSync(process.execPath, [BIN, 'recall', '--configs', 'flat', '--json', join(locked, 'r.json')], {
      cwd: ROOT,
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { ...process.env, HOME: dir, VECTRO_DATA_DIR: join(dir, 'nobody-cache') },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^error: --json .*locked\/r\.json: the folder .*locked is not writable\n$/);
  });

  test('datasets download siftsmall says it is bundled, without the network', async () => {
    const r = await host.run(['datasets', 'download', 'siftsmall']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^siftsmall is bundled with vectro \(fixtures\/siftsmall\) and works offline; nothing to download/);
  });
});
