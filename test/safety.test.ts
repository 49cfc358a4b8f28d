/**
 * Issue 10's findings, one test each: no input can lose a user's data, every reader of a format
 * refuses what the others refuse, numbers parse one way, and messages stay one line. The commands
 * run in one CliHost (the real main(), in a child process).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { firstNonFinite } from '../src/formats/finite.js';
import { ensureSpace } from '../src/formats/space.js';
import { CliHost, listDir, native, rng, tempDir, texmexBytes, writeFile, type CliResult } from './helpers.js';

const host = new CliHost();
after(() => host.close());

const BACKENDS = native.ok ? ['native', 'js'] : ['js'];
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Whole-number vectors (so both backends build byte-identical indexes). */
function wholeRows(count: number, dim: number, seed: number): number[][] {
  const next = rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: dim }, () => Math.floor(next() * 32)));
}

/** A failure as users see it: the exit code, and one `error:` line matching `message`. */
function assertFails(r: CliResult, code: number, message: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, /^error: [^\n]*\n$/, `${what}: exactly one error line, got ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr.trimEnd(), message, what);
}

/** Sets a field of a container and recomputes its CRC-32 trailer (zlib's, independent of vectro's). */
function craft(bytes: Buffer, edit: (view: DataView) => void): Buffer {
  const out = Buffer.from(bytes);
  edit(new DataView(out.buffer, out.byteOffset, out.length));
  out.writeUInt32LE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

const align64 = (n: number) => Math.ceil(n / 64) * 64;

const dir = tempDir();

describe("no input can lose a user's data", () => {
  let base: string;
  let queries: string;
  let index: string;
  before(async () => {
    base = writeFile(dir, 'base.fvecs', texmexBytes(wholeRows(300, 16, 1), 'f4'));
    queries = writeFile(dir, 'q.fvecs', texmexBytes(wholeRows(20, 16, 2), 'f4'));
    index = join(dir, 'i.vidx');
    const r = await host.run(['index', 'build', base, '-o', index, '--m', '4', '--ef-construction', '16', '-q']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('1. --distances (or -o) naming an input is refused before any work, however it is spelled', async () => {
    const before = [sha(base), sha(queries), sha(index)];
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const cases: [string[], RegExp][] = [
      [
        ['index', 'search', index, queries, '-k', '5', '--distances', queries],
        /^error: --distances .*q\.fvecs: is the input file .*q\.fvecs; choose another output$/,
      ],
      [['index', 'search', index, queries, '-k', '5', '--distances', join(dir, 'sub', '..', 'q.fvecs')], /is the input file/],
      [['groundtruth', base, queries, '-k', '5', '-o', join(dir, 'gt.ivecs'), '--distances', base], /^error: --distances .*base\.fvecs: is the input file/],
    ];
    for (const [args, message] of cases) assertFails(await host.run(args), 2, message, args.join(' '));
    assert.deepEqual([sha(base), sha(queries), sha(index)], before, 'inputs unchanged');
  });

  test('1. a link to an input counts as the input', async () => {
    const { symlinkSync } = await import('node:fs');
    const link = join(dir, 'link.fvecs');
    symlinkSync(queries, link);
    assertFails(await host.run(['index', 'search', index, queries, '-k', '5', '--distances', link]), 2, /link\.fvecs: is the input file/, 'symlink');
  });

  test('2. outputs are committed together: one bad output, and none is written', async () => {
    const out = join(dir, 'out');
    mkdirSync(out, { recursive: true });
    const cases: string[][] = [
      ['groundtruth', base, queries, '-k', '5', '-o', join(out, 'gt.ivecs'), '--distances', join(dir, 'missing', 'd.fvecs')],
      ['index', 'search', index, queries, '-k', '5', '-o', join(out, 'r.ivecs'), '--distances', join(dir, 'missing', 'd.fvecs')],
      ['groundtruth', base, queries, '-k', '5', '-o', join(out, 'same.ivecs'), '--distances', join(out, 'same.ivecs')],
    ];
    for (const args of cases) {
      const r = await host.run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual(listDir(out), [], 'nothing written');
    }
    assertFails(await host.run(cases[2]), 2, /^error: --distances .*same\.ivecs: distances are written as \.fvecs$/, 'dup ext');
    const dup = await host.run(['index', 'search', index, queries, '-k', '5', '-o', join(out, 'r.ivecs'), '--distances', join(out, 'r.ivecs')]);
    assert.equal(dup.code, 2);
    const ok = await host.run(['groundtruth', base, queries, '-k', '5', '-o', join(out, 'gt.ivecs'), '--distances', join(out, 'd.fvecs'), '-q']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(listDir(out), ['d.fvecs', 'gt.ivecs']);
  });

  test('2. two outputs naming one file are refused', async () => {
    const out = join(dir, 'twice');
    mkdirSync(out);
    writeFileSync(join(out, 'r.fvecs'), 'keep me');
    const r = await host.run(['groundtruth', base, queries, '-k', '5', '-o', join(out, 'r.ivecs'), '--distances', join(out, 'r.fvecs')]);
    assert.equal(r.code, 0, r.stderr);
    const { linkSync } = await import('node:fs');
    linkSync(join(out, 'r.ivecs'), join(out, 'hard.fvecs'));
    const twice = await host.run(['groundtruth', base, queries, '-k', '5', '-o', join(out, 'r.ivecs'), '--distances', join(out, 'hard.fvecs')]);
    assertFails(twice, 2, /^error: --distances .*hard\.fvecs: is also the output of -o; give each output its own file$/, 'hard link');
  });

  test('3. recall exports into a missing folder or onto a directory fail at once, exit 2, no stack', async () => {
    for (const flag of ['--plot', '--json', '--csv', '--markdown']) {
      const file = flag === '--plot' ? 'p.svg' : 'x.out';
      const started = performance.now();
      const r = await host.run(['recall', '--configs', 'flat', '--ef', '16', '-q', flag, join(dir, 'nowhere', file)]);
      assertFails(r, 2, new RegExp(`^error: ${flag} .*nowhere/${file.replace('.', '\\.')}: the folder .*nowhere does not exist; create it first$`), flag);
      assert.ok(performance.now() - started < 5000, `${flag}: refused before the suite runs`);
    }
    const onDir = await host.run(['recall', '--configs', 'flat', '--ef', '16', '-q', '--json', dir]);
    assertFails(onDir, 2, /is a directory; give a file name$/, 'directory');
  });

  test('4. groundtruth refuses NaN and infinite values in the base and the queries, naming the file', async () => {
    const rows = wholeRows(30, 16, 3);
    rows[7][4] = NaN;
    const bad = writeFile(dir, 'nan.fvecs', texmexBytes(rows, 'f4'));
    rows[7][4] = Infinity;
    const inf = writeFile(dir, 'inf.fvecs', texmexBytes(rows, 'f4'));
    for (const backend of BACKENDS) {
      assertFails(
        await host.run(['groundtruth', bad, queries, '-k', '5', '-o', join(dir, 'g.ivecs'), '--backend', backend]),
        1,
        /^error: .*nan\.fvecs: vector 7, dimension 4 is NaN \(indexes from 0\); vectro does not take NaN or infinite values$/,
        backend,
      );
      assertFails(
        await host.run(['groundtruth', base, inf, '-k', '5', '-o', join(dir, 'g.ivecs'), '--backend', backend]),
        1,
        /inf\.fvecs: vector 7, dimension 4 is Infinity/,
        backend,
      );
    }
    assert.ok(!listDir(dir).includes('g.ivecs'));
  });

  test('5. --groundtruth files are checked: type, shape, count against the queries, ids against the base', async () => {
    const ids = (rows: number[][]) => texmexBytes(rows, 'i4');
    const good = Array.from({ length: 20 }, () => [0, 1, 2, 3, 4]);
    const cases: [string, Buffer | string, number, RegExp][] = [
      ['a float file by extension', 'q.fvecs', 2, /ground truth holds neighbour ids, as \.ivecs or \.ibin \(not '\.fvecs'\)$/],
      ['a float file renamed .ivecs', readFileSync(queries), 1, /^error: --groundtruth .*: record 0 names vector \d+, but the base holds ids 0 to 299$/],
      [
        'an id past the base',
        ids(good.map((r, i) => (i === 3 ? [0, 1, 999999, 3, 4] : r))),
        1,
        /record 3 names vector 999999, but the base holds ids 0 to 299$/,
      ],
      ['a negative id', ids(good.map((r, i) => (i === 5 ? [-5, 1, 2, 3, 4] : r))), 1, /record 5 names vector -5/],
      ['too few records', ids(good.slice(0, 19)), 1, /has 19 records for 20 queries$/],
      ['too many records', ids([...good, [0, 1, 2, 3, 4]]), 1, /has 21 records for 20 queries$/],
      ['too narrow', ids(good.map((r) => r.slice(0, 3))), 1, /holds 3 neighbours per query, fewer than k = 5$/],
    ];
    for (const [what, content, code, message] of cases) {
      const path = typeof content === 'string' ? join(dir, content) : writeFile(dir, 'gt-case.ivecs', content);
      assertFails(await host.run(['index', 'search', index, queries, '-k', '5', '--groundtruth', path, '-q']), code, message, what);
    }
    const ok = await host.run(['index', 'search', index, queries, '-k', '5', '--groundtruth', writeFile(dir, 'gt-ok.ivecs', ids(good)), '--json']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  /** The index files of every storage, for the crafted-field tests. */
  async function indexes(): Promise<Record<string, string>> {
    const made: Record<string, string> = { f32: index };
    for (const [name, extra] of [
      ['int8', ['--storage', 'int8', '--keep-vectors']],
      ['binary', ['--storage', 'binary']],
    ] as const) {
      made[name] = join(dir, `${name}.vidx`);
      const r = await host.run(['index', 'build', base, '-o', made[name], '--m', '4', '--ef-construction', '16', '-q', ...extra]);
      assert.equal(r.code, 0, r.stderr);
    }
    return made;
  }

  test('6-8. index info refuses what index search refuses, on both backends, with the same message', async () => {
    const files = await indexes();
    const count = 300;
    const dim = 16;
    const f32 = readFileSync(files.f32);
    const int8 = readFileSync(files.int8);
    const binary = readFileSync(files.binary);
    const topLevel = f32.readUInt32LE(36);
    // int8 with kept vectors: vectors, codes, then scales.
    const scalesAt = align64(align64(128 + count * dim * 4) + count * dim);
    const centerAt = align64(128 + count * 2); // binary: no vectors, codes of 2 bytes, then the center
    const cases: [string, Buffer, RegExp][] = [
      ['entry point -1', craft(f32, (v) => v.setInt32(48, -1, true)), /entry point -1 in the header is not a node of this 300-vector index$/],
      ['entry point past the end', craft(f32, (v) => v.setInt32(48, 300, true)), /entry point 300 in the header/],
      ['NaN vector', craft(f32, (v) => v.setFloat32(128 + 4 * (5 * dim + 2), NaN, true)), /vector 5, dimension 2 is NaN; an index holds finite values only$/],
      [
        'NaN int8 scale',
        craft(int8, (v) => v.setFloat32(scalesAt + 4 * 9, NaN, true)),
        /the int8 scale of vector 9 is NaN; it must be finite and not negative$/,
      ],
      ['negative int8 scale', craft(int8, (v) => v.setFloat32(scalesAt, -1, true)), /the int8 scale of vector 0 is -1/],
      ['NaN binary center', craft(binary, (v) => v.setFloat32(centerAt + 4 * 3, NaN, true)), /the binary center's dimension 3 is NaN; it must be finite$/],
      ['efConstruction 0', craft(f32, (v) => v.setUint32(32, 0, true)), /efConstruction = 0 does not fit a hnsw index \(1 to 100000\)$/],
      ['efConstruction 2^32-1', craft(f32, (v) => v.setUint32(32, 2 ** 32 - 1, true)), /efConstruction = 4294967295 does not fit/],
      [
        'top level above any node',
        craft(f32, (v) => v.setUint32(36, topLevel + 1, true)),
        new RegExp(`header's top level is ${topLevel + 1}, but no node is above level ${topLevel}$`),
      ],
      [
        'a node above the top level',
        craft(f32, (v) => v.setUint32(36, topLevel - 1, true)),
        new RegExp(`a node has level ${topLevel}, above the header's top level ${topLevel - 1}$`),
      ],
      ['top level 2^32-1', craft(f32, (v) => v.setUint32(36, 2 ** 32 - 1, true)), /top level 4294967295 in the header is out of range \(0 to 15\)$/],
      ['reserved bytes', craft(f32, (v) => v.setUint8(100, 1)), /reserved header bytes \(80 to 127\) are not zero$/],
      ['nlist on an hnsw file', craft(f32, (v) => v.setUint32(72, 4, true)), /nlist = 4 does not fit a hnsw index \(0\)$/],
    ];
    for (const [what, bytes, message] of cases) {
      const path = writeFile(dir, 'crafted.vidx', bytes);
      const runs = [await host.run(['index', 'info', path])];
      for (const backend of BACKENDS) runs.push(await host.run(['index', 'search', path, queries, '-k', '5', '-q', '--backend', backend]));
      for (const r of runs) assertFails(r, 1, message, what);
      assert.ok(
        runs.every((r) => r.stderr === runs[0].stderr),
        `${what}: the same message everywhere: ${runs.map((r) => r.stderr).join(' | ')}`,
      );
    }
  });

  test('9. exit codes: bounds name their flag and exit 2; spec errors exit 2 before any work', async () => {
    assertFails(
      await host.run(['index', 'build', base, '-o', join(dir, 'x.vidx'), '--ef-construction', '1000000000']),
      2,
      /^error: --ef-construction: must be at most 100000, got 1000000000$/,
      'efc',
    );
    assertFails(
      await host.run(['index', 'build', base, '-o', join(dir, 'x.vidx'), '--ef-construction', '0']),
      2,
      /^error: --ef-construction: must be at least 1, got 0$/,
      'efc 0',
    );
    const started = performance.now();
    assertFails(
      await host.run(['recall', '--configs', 'hnsw,storage=int8,rerank=5', '-k', '10', '--ef', '16', '-q']),
      2,
      /^error: --configs 'hnsw,m=16,efc=200,storage=int8,rerank=5': rerank \(5\) must be at least k \(10\)$/,
      'rerank < k',
    );
    assert.ok(performance.now() - started < 3000, 'refused before building');
    assert.ok(!listDir(dir).includes('x.vidx'));
  });

  test('10. a malformed .npy header is one line, its bytes escaped', async () => {
    const dict = "{'descr': '<f4', \0\0\0\n'shape': (2, 2), }";
    const head = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(dict.length, 8);
    const path = writeFile(dir, 'bad.npy', Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.alloc(16)]));
    assertFails(await host.run(['inspect', path]), 1, /malformed \.npy header: \{'descr': '<f4', \\x00\\x00\\x00\\x0a'shape': \(2, 2\), \}$/, 'npy');
  });

  test("11. recall --queries has a bound; a killed run's temporary files are cleaned by the next run", async () => {
    assertFails(
      await host.run(['recall', 'synthetic', '--queries', '1000000000']),
      2,
      /^error: --queries: must be at most 1000000, got 1000000000$/,
      'queries',
    );
    assertFails(await host.run(['recall', 'synthetic', '--n', '1000000000']), 2, /^error: --n: must be at most 100000000, got 1000000000$/, 'n');
    // A dead process's leftovers (pid 2^22 + 1 is above Linux's default pid_max), listed by its
    // ownership record; a live one's; and names that only look like vectro's.
    const out = join(dir, 'stale');
    mkdirSync(out);
    const dead = `4194305-${'0a'.repeat(6)}`;
    writeFileSync(join(out, `.gt.ivecs.vectro-tmp-${dead}-0`), 'half');
    mkdirSync(join(out, `.synthetic-x.vectro-tmp-${dead}-1`));
    writeFileSync(
      join(out, `.vectro-run-${dead}.lock`),
      `vectro-run ${dead} ${hostname()}\nfile .gt.ivecs.vectro-tmp-${dead}-0\ndir .synthetic-x.vectro-tmp-${dead}-1\n`,
    );
    writeFileSync(join(out, `.gt.ivecs.vectro-tmp-${process.pid}-0123abcd`), 'a live run');
    writeFileSync(join(out, 'notes.tmp-txt'), 'not ours');
    mkdirSync(join(out, 'synthetic-x.tmp-4194305'));
    const r = await host.run(['groundtruth', base, queries, '-k', '5', '-o', join(out, 'gt.ivecs'), '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listDir(out), [`.gt.ivecs.vectro-tmp-${process.pid}-0123abcd`, 'gt.ivecs', 'notes.tmp-txt', 'synthetic-x.tmp-4194305']);
  });

  test('12. the NaN-query error names the file; flags parse whole numbers one way; no backend twice', async () => {
    const rows = wholeRows(4, 16, 9);
    rows[2][0] = NaN;
    const nanQueries = writeFile(dir, 'nan-q.fvecs', texmexBytes(rows, 'f4'));
    for (const backend of BACKENDS) {
      assertFails(
        await host.run(['index', 'search', index, nanQueries, '-k', '5', '--backend', backend]),
        1,
        /^error: .*nan-q\.fvecs: vector 2, dimension 0 is NaN/,
        backend,
      );
    }
    assertFails(await host.run(['index', 'search', index, queries, '-k', '301']), 2, /^error: -k 301: the index holds only 300 vectors$/, 'k > count');
    for (const k of ['0x10', '1e1', ' 5', '16.5', '10abc', '-3', '']) {
      assertFails(
        await host.run(['index', 'search', index, queries, '-k', k]),
        2,
        /^error: -k: expected a whole number from 1 to 10000 in decimal digits, got '.*'$/,
        `-k '${k}'`,
      );
    }
    for (const spec of ['hnsw,m=1e2', 'hnsw,m=0x10', 'hnsw,efc= 5']) {
      assertFails(await host.run(['recall', '--configs', spec]), 2, /^error: --configs '.*': (m|efc): expected a whole number/, spec);
    }
    assertFails(await host.run(['recall', '--backend', 'js,js', '--configs', 'flat']), 2, /^error: --backend: 'js' is given twice$/, 'backend twice');
    assertFails(await host.run(['bench', '--backend', 'js,js', '--quick']), 2, /^error: --backend: 'js' is given twice$/, 'bench backend twice');
  });

  test('firstNonFinite finds the first NaN or infinity at every position of awkward lengths', () => {
    for (let n = 0; n <= 9; n++) {
      const x = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -3.4e38 : 3.4e38));
      assert.equal(firstNonFinite(x), -1, `finite, n=${n}`);
      for (let at = 0; at < n; at++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const y = x.slice();
          y[at] = bad;
          if (at + 1 < n) y[n - 1] = NaN;
          assert.equal(firstNonFinite(y), at, `n=${n}, ${bad} at ${at}`);
        }
      }
    }
  });

  test('a run that needs more disk than is free says so before it starts', async () => {
    await assert.rejects(ensureSpace(dir, 2 ** 62, '-o huge.vq'), /^DataError: -o huge\.vq: needs about .* but .* has only .* free$/);
    await ensureSpace(dir, 1, '-o small.vq');
  });

  test('nothing is left in the folder but what succeeded', () => {
    assert.ok(
      readdirSync(dir).every((f) => !f.includes('vectro-tmp')),
      listDir(dir).join(', '),
    );
  });
});
