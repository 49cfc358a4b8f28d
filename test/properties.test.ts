/**
 * Properties checked with fast-check (generators and shrinking from the library): the answer
 * checker, the norm bound, the temporary-file sweep and the index writer's interrupt points. Each
 * compares vectro against a small reference written here. VECTRO_FUZZ_LONG=1 runs 20x the cases.
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { AnswerError } from '../src/errors.js';
import { firstUnfitRow, MAX_NORM } from '../src/formats/finite.js';
import { sweepStaleTemps } from '../src/formats/scratch.js';
import { checkResults, NO_RESULT } from '../src/evaluation/answers.js';
import { tempDir } from './helpers.js';

const RUNS = process.env.VECTRO_FUZZ_LONG === '1' ? 2000 : 100;
const seed = Number(process.env.VECTRO_FUZZ_SEED ?? 20261208);
const options = { numRuns: RUNS, seed };

/** A valid answer: per query k distinct ids below count (some rows cut short), distances not decreasing. */
const validAnswer = fc
  .record({ queries: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 8 }), extra: fc.integer({ min: 0, max: 20 }) })
  .chain(({ queries, k, extra }) =>
    fc.record({
      queries: fc.constant(queries),
      k: fc.constant(k),
      count: fc.constant(k + extra),
      rows: fc.array(
        fc.record({
          ids: fc.uniqueArray(fc.integer({ min: 0, max: k + extra - 1 }), { minLength: 0, maxLength: k }),
          gaps: fc.array(fc.float({ min: 0, max: 10, noNaN: true }), { minLength: k, maxLength: k }),
        }),
        { minLength: queries, maxLength: queries },
      ),
    }),
  )
  .map(({ queries, k, count, rows }) => {
    const ids = new Uint32Array(queries * k).fill(NO_RESULT);
    const distances = new Float32Array(queries * k);
    rows.forEach((row, q) => {
      row.ids.forEach((id, j) => (ids[q * k + j] = id));
      let d = 0;
      for (let j = 0; j < k; j++) distances[q * k + j] = d = Math.fround(d + row.gaps[j]);
    });
    return { queries, k, count, ids, distances };
  });

test('checkResults accepts every valid answer and refuses each kind of lie', () => {
  fc.assert(
    fc.property(validAnswer, (a) => {
      checkResults('x', a.ids, a.queries, a.k, a.count, a.distances);
    }),
    options,
  );
  const lies = ['range', 'duplicate', 'gap', 'order', 'nan', 'length'] as const;
  fc.assert(
    fc.property(validAnswer, fc.constantFrom(...lies), fc.nat(), (a, lie, pick) => {
      const ids = a.ids.slice();
      const d = a.distances.slice();
      const filled = [...ids.keys()].filter((i) => ids[i] !== NO_RESULT);
      const at = filled[pick % Math.max(1, filled.length)];
      // Lies that need a result (or two in one row) where the answer has none are not lies: skip.
      const rowOf = (i: number) => Math.floor(i / a.k);
      if (lie === 'length') return assert.throws(() => checkResults('x', ids.subarray(1), a.queries, a.k, a.count, d.subarray(1)), AnswerError);
      if (at === undefined) return;
      if (lie === 'range') ids[at] = a.count + (pick % 1000);
      else if (lie === 'nan') d[at] = NaN;
      else if (lie === 'duplicate' || lie === 'order') {
        const other = filled.find((i) => i !== at && rowOf(i) === rowOf(at));
        if (other === undefined) return;
        if (lie === 'duplicate') ids[other] = ids[at];
        else {
          const [lo, hi] = [Math.min(at, other), Math.max(at, other)];
          if (d[lo] === d[hi]) d[hi] = Math.fround(d[lo] + 1);
          [d[lo], d[hi]] = [d[hi], d[lo]];
        }
      } else {
        // gap: a missing result before a real one in the same row
        const next = filled.find((i) => i > at && rowOf(i) === rowOf(at));
        if (next === undefined) return;
        ids[at] = NO_RESULT;
      }
      assert.throws(() => checkResults('x', ids, a.queries, a.k, a.count, d), AnswerError, lie);
    }),
    options,
  );
});

test('firstUnfitRow agrees with a per-row float64 reference on any float32 data', () => {
  const value = fc.oneof(
    fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }),
    fc.float({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(NaN, Infinity, -Infinity, MAX_NORM, -MAX_NORM, Math.fround(MAX_NORM * 0.7)),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.array(value, { maxLength: 60 }), (dim, values) => {
      const x = Float32Array.from(values.slice(0, values.length - (values.length % dim)));
      let expected: number | undefined;
      for (let r = 0; r * dim < x.length && expected === undefined; r++) {
        const row = Array.from(x.subarray(r * dim, (r + 1) * dim));
        const firstBad = x.findIndex((v) => !Number.isFinite(v));
        if (firstBad >= 0) expected = Math.floor(firstBad / dim);
        else if (row.reduce((s, v) => s + v * v, 0) > MAX_NORM * MAX_NORM) expected = r;
      }
      assert.equal(firstUnfitRow(x, dim)?.row, expected);
    }),
    options,
  );
});

test('the sweep removes exactly the regular files and folders a dead run of this machine listed', () => {
  const root = tempDir();
  let n = 0;
  const run = fc.record({
    pid: fc.constantFrom(4194305, 4194307, process.pid),
    token: fc.constantFrom('ab'.repeat(6), 'cd'.repeat(6)),
    host: fc.constantFrom(hostname(), 'elsewhere'),
  });
  const entry = fc.record({
    name: fc.oneof(fc.constantFrom('a', 'b.vq', 'photos'), fc.stringMatching(/^[a-z]{1,6}$/)),
    shape: fc.constantFrom('file', 'dir', 'dir-with-subfolder', 'link', 'absent'),
    ours: fc.boolean(), // named with the run's temporary pattern
    listed: fc.boolean(),
  });
  fc.assert(
    fc.property(run, fc.array(entry, { maxLength: 8 }), ({ pid, token, host }, entries) => {
      const dir = join(root, String(n++));
      mkdirSync(dir);
      const id = `${pid}-${token}`;
      const record: string[] = [`vectro-run ${id} ${host}`];
      const expectGone = new Set<string>();
      const deadHere = pid !== process.pid && host === hostname();
      entries.forEach((e, i) => {
        const name = e.ours ? `.${e.name}.vectro-tmp-${id}-${i}` : `${e.name}.tmp-${pid}-${i}`;
        const path = join(dir, name);
        if (e.shape === 'file') writeFileSync(path, 'x');
        else if (e.shape === 'link') symlinkSync(join(root, 'nowhere'), path);
        else if (e.shape !== 'absent') {
          mkdirSync(path);
          writeFileSync(join(path, 'inner'), 'x');
          if (e.shape === 'dir-with-subfolder') mkdirSync(join(path, 'sub'));
        }
        if (e.listed) record.push(`${e.shape.startsWith('dir') ? 'dir' : 'file'} ${name}`);
        if (deadHere && e.listed && e.ours && (e.shape === 'file' || e.shape === 'dir')) expectGone.add(name);
      });
      writeFileSync(join(dir, `.vectro-run-${id}.lock`), `${record.join('\n')}\n`);
      const before = readdirSync(dir);
      sweepStaleTemps(dir);
      const after = new Set(readdirSync(dir));
      for (const name of before) {
        if (name.endsWith('.lock')) assert.equal(after.has(name), !deadHere, `${name}: the record goes with its dead run`);
        else assert.equal(after.has(name), !expectGone.has(name), `${name} (${JSON.stringify(entries)})`);
      }
      // A listed folder with a folder inside keeps that, and itself (only regular files go).
      entries.forEach((e, i) => {
        if (!(deadHere && e.listed && e.ours && e.shape === 'dir-with-subfolder')) return;
        const path = join(dir, `.${e.name}.vectro-tmp-${id}-${i}`);
        assert.ok(lstatSync(path).isDirectory() && readdirSync(path).includes('sub'));
      });
      rmSync(dir, { recursive: true, force: true });
    }),
    { ...options, numRuns: Math.min(RUNS, 300) },
  );
});
