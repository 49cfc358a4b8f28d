import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { jsBackend } from '../src/backends/js/index.js';
import { roundHalfEven } from '../src/backends/js/rounding.js';
import { nativeBackend } from '../src/backends/native.js';
import type { Backend } from '../src/backends/backend.js';
import { centerFromSums } from '../src/quant/pipeline.js';
import { codeBytes, SCHEMES, SCHEME_NAMES, type Scheme } from '../src/quant/schemes.js';
import { fileParamsFor } from '../src/quant/rabitq.js';
import { bits, native, randomVectors, rng, SIFTSMALL, skipWithoutNative } from './helpers.js';

const DIMS = [1, 7, 15, 16, 17, 65, 128, 129, 768];

/**
 * The schemes for the tests over millions of values: all but rabitq2..8, whose scale search would
 * make each test a minute long on the js side; their bad-row and thread paths are rabitq1's, and the
 * tests over dims and siftsmall cover their codes.
 */
const SAMPLED = SCHEME_NAMES.filter((n) => !/^rabitq[2-8]$/.test(n));

interface Encoded {
  codes: Uint8Array;
  params: Float32Array;
  center: Float32Array;
  decoded: Float32Array;
  bad: number;
}

function run(backend: Backend, scheme: Scheme, x: Float32Array, dim: number, threads = 1): Encoded {
  const rows = x.length / dim;
  let center: Float32Array = new Float32Array(0);
  if (scheme.hasCenter) {
    const sums = new Float64Array(dim);
    assert.equal(backend.columnSums(x, dim, sums), -1);
    center = fileParamsFor(scheme, centerFromSums(sums, rows), { seed: 0x5eed_0000_0001n + BigInt(dim) });
  }
  const codes = new Uint8Array(rows * codeBytes(scheme, dim)).fill(0xaa);
  const params = new Float32Array(rows * scheme.vectorParams).fill(NaN);
  const bad = backend.encode(scheme, x, dim, center, codes, params, threads);
  const decoded = new Float32Array(x.length).fill(NaN);
  if (bad < 0) backend.decode(scheme, codes, params, center, dim, decoded, threads);
  return { codes, params, center, decoded, bad };
}

/** Rows that hit the corners: magnitudes, zeros, -0.0, constants, denormals, exact ties. */
function edgeRows(dim: number, seed: number): Float32Array {
  const next = rng(seed);
  const rows: number[][] = [];
  for (const m of [1, 1e-3, 255, 1e30, 1e-38]) rows.push(Array.from({ length: dim }, () => (next() * 2 - 1) * m));
  rows.push(new Array(dim).fill(0), new Array(dim).fill(-0), new Array(dim).fill(3.25), new Array(dim).fill(-7));
  rows.push(Array.from({ length: dim }, (_, i) => (1 + (i % 5)) * 1.401298464324817e-45)); // denormals
  rows.push(Array.from({ length: dim }, (_, i) => (i === 0 ? 127 : (i % 250) * 0.5 - 62.5))); // int8 ties
  rows.push(Array.from({ length: dim }, (_, i) => (i === 0 ? 0 : i === 1 ? 15 : (i % 30) * 0.5))); // int4 ties
  rows.push(Array.from({ length: dim }, () => Math.floor(next() * 256)));
  return Float32Array.from(rows.flat());
}

describe('js baseline against hand-computed values', () => {
  test('round half to even', () => {
    const cases: [number, number][] = [
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [-0.5, 0],
      [-1.5, -2],
      [-2.5, -2],
      [2.4999998, 2],
      [126.5, 126],
      [3, 3],
    ];
    for (const [v, want] of cases) assert.equal(roundHalfEven(v) + 0, want, `rhe(${v})`);
  });

  test('int8 worked example from docs/quantization.md', () => {
    const e = run(jsBackend, SCHEMES.int8, Float32Array.from([1, 2, 3, 4]), 4);
    assert.equal(e.params[0], Math.fround(4 / 127));
    assert.equal(e.params[0].toPrecision(8), '0.031496063');
    assert.deepEqual(Array.from(new Int8Array(e.codes.buffer)), [32, 64, 95, 127]);
    const want = [1.007874, 2.015748, 2.992126, 4.0];
    e.decoded.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${v} vs ${want[i]}`));
    const mae = e.decoded.reduce((s, v, i) => s + Math.abs(v - (i + 1)), 0) / 4;
    assert.ok(Math.abs(mae - 0.007874) < 1e-6, `mean abs error ${mae}`);
  });

  test('int8 exact halves tie to even', () => {
    const x = Float32Array.from([127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5, -127]);
    const e = run(jsBackend, SCHEMES.int8, x, x.length);
    assert.deepEqual(Array.from(new Int8Array(e.codes.buffer)), [127, 0, 2, 2, 0, -2, -2, 126, -126, -127]);
  });

  test('int4 and int2 codes, packing and decode', () => {
    const x = Float32Array.from([0, 15, 0.5, 1.5, 2.5, 7.5, 14.5, 3, 9]);
    const e4 = run(jsBackend, SCHEMES.int4, x, x.length);
    assert.deepEqual(Array.from(e4.params), [0, 1]);
    assert.deepEqual(Array.from(e4.codes), [0xf0, 0x20, 0x82, 0x3e, 0x09]);
    const e2 = run(jsBackend, SCHEMES.int2, x, x.length);
    assert.deepEqual(Array.from(e2.params), [0, 5]);
    assert.deepEqual(Array.from(e2.codes), [0b00_00_11_00, 0b01_11_10_00, 0b0000_0010]);
    assert.deepEqual(Array.from(e2.decoded), [0, 15, 0, 0, 0, 10, 15, 5, 10]);
  });

  test('binary bits, s and decode', () => {
    const e = run(jsBackend, SCHEMES.binary, Float32Array.from([2, -1, 2, 0, 1, 2]), 3);
    assert.deepEqual(Array.from(e.center), [1, 0, 2]);
    assert.deepEqual(Array.from(e.codes), [0b001, 0b010]);
    const s = Math.fround(2 / 3);
    assert.deepEqual(Array.from(e.params), [s, s]);
    assert.deepEqual(Array.from(e.decoded), [1 + s, -s, 2 - s, 1 - s, s, 2 - s].map(Math.fround));
  });

  test('zero, -0.0 and constant vectors', () => {
    const z = run(jsBackend, SCHEMES.int8, Float32Array.from([0, -0, 0]), 3);
    assert.deepEqual([...z.codes, ...bits(z.params)], [0, 0, 0, 0]);
    const n = run(jsBackend, SCHEMES.int4, Float32Array.from([-0, -0, -0]), 3);
    assert.deepEqual(bits(n.params), [0, 0], '-0.0 extremes are stored as +0.0');
    const c = run(jsBackend, SCHEMES.int2, new Float32Array(5).fill(2.5), 5);
    assert.deepEqual([...c.codes, ...c.params, ...c.decoded], [0, 0, 2.5, 0, 2.5, 2.5, 2.5, 2.5, 2.5]);
  });

  test('every decoded value is within half a step of its input', () => {
    const dim = 65;
    const x = randomVectors(200, dim, 11, 10);
    for (const name of ['int8', 'int4', 'int2'] as const) {
      const e = run(jsBackend, SCHEMES[name], x, dim);
      for (let r = 0; r < 200; r++) {
        const step = name === 'int8' ? e.params[r] : e.params[2 * r + 1];
        for (let i = r * dim; i < (r + 1) * dim; i++) {
          assert.ok(Math.abs(x[i] - e.decoded[i]) <= step / 2 + 1e-6 * Math.abs(x[i]), `${name} row ${r}`);
        }
      }
    }
  });

  test('NaN, Infinity and overflow report the first bad row', () => {
    for (const name of SCHEME_NAMES) {
      for (const badValue of [NaN, Infinity, -Infinity]) {
        const x = randomVectors(50, 9, 3);
        x[40 * 9 + 8] = badValue;
        x[20 * 9 + 2] = badValue;
        const s = SCHEMES[name];
        const center = fileParamsFor(s, new Float32Array(s.hasCenter ? 9 : 0));
        const got = jsBackend.encode(s, x, 9, center, new Uint8Array(50 * codeBytes(s, 9)), new Float32Array(50 * s.vectorParams), 1);
        assert.equal(got, 20, `${name} with ${badValue}`);
      }
    }
    const wide = Float32Array.from([-3e38, 3e38]);
    assert.equal(jsBackend.encode(SCHEMES.int4, wide, 2, new Float32Array(0), new Uint8Array(1), new Float32Array(2), 1), 0);
    assert.equal(jsBackend.encode(SCHEMES.int8, wide, 2, new Float32Array(0), new Uint8Array(2), new Float32Array(1), 1), -1);
  });

  test('buffers of the wrong size are refused', () => {
    assert.throws(
      () => jsBackend.encode(SCHEMES.int8, new Float32Array(4), 3, new Float32Array(0), new Uint8Array(4), new Float32Array(1), 1),
      /not a multiple of dim 3/,
    );
    assert.throws(
      () => jsBackend.encode(SCHEMES.int4, new Float32Array(4), 4, new Float32Array(0), new Uint8Array(4), new Float32Array(2), 1),
      /codes buffer holds 4 bytes/,
    );
  });
});

describe('native against js, bit for bit', { skip: skipWithoutNative }, () => {
  const nb = native.ok ? nativeBackend(native.addon) : jsBackend;

  const compare = (scheme: Scheme, x: Float32Array, dim: number, what: string, threads = 1) => {
    const a = run(jsBackend, scheme, x, dim);
    const b = run(nb, scheme, x, dim, threads);
    assert.equal(b.bad, a.bad, `bad row, ${what}`);
    assert.deepEqual(bits(b.center), bits(a.center), `center, ${what}`);
    assert.deepEqual(Buffer.from(b.codes), Buffer.from(a.codes), `codes, ${what}`);
    assert.deepEqual(bits(b.params), bits(a.params), `params, ${what}`);
    assert.deepEqual(bits(b.decoded), bits(a.decoded), `decoded, ${what}`);
  };

  for (const name of SCHEME_NAMES) {
    test(`${name}: random and edge rows at dims ${DIMS.join(', ')}`, () => {
      for (const dim of DIMS) {
        compare(SCHEMES[name], edgeRows(dim, dim), dim, `edge dim ${dim}`);
        compare(SCHEMES[name], randomVectors(37, dim, dim + 100), dim, `random dim ${dim}`);
      }
    });
  }

  // Over 2M values, so the native side really splits the rows over 2 threads (MIN_VALUES_PER_THREAD is 1M).
  test('multi-threaded native equals js', () => {
    const x = randomVectors(100_000, 24, 5);
    for (const name of SAMPLED) compare(SCHEMES[name], x, 24, `${name}, 2 threads`, 2);
  });

  test('siftsmall base, every scheme', () => {
    const raw = readFileSync(SIFTSMALL);
    const dim = raw.readInt32LE(0);
    const words = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    const count = raw.length / (4 + 4 * dim);
    const x = new Float32Array(count * dim);
    for (let r = 0; r < count; r++) x.set(words.subarray(r * (dim + 1) + 1, (r + 1) * (dim + 1)), r * dim);
    for (const name of SCHEME_NAMES) compare(SCHEMES[name], x, dim, `siftsmall ${name}`, 2);
  });

  test('error statistics are identical', () => {
    const x = randomVectors(500, 33, 9);
    const e = run(jsBackend, SCHEMES.int4, x, 33);
    const a = new Float64Array(5);
    const b = new Float64Array(5);
    jsBackend.errorStats(x, e.decoded, 33, a);
    nb.errorStats(x, e.decoded, 33, b);
    assert.deepEqual(Array.from(b), Array.from(a));
    assert.equal(a[4], 500);
  });

  test('NaN and Inf give the same first bad row, wherever the thread split falls', () => {
    const rows = 120_000;
    for (const name of SAMPLED) {
      const s = SCHEMES[name];
      const center = fileParamsFor(s, new Float32Array(s.hasCenter ? 19 : 0));
      const x = randomVectors(rows, 19, 2);
      const firstBad = (data: Float32Array) => [
        nb.encode(s, data, 19, center, new Uint8Array(rows * codeBytes(s, 19)), new Float32Array(rows * s.vectorParams), 2),
        jsBackend.encode(s, data, 19, center, new Uint8Array(rows * codeBytes(s, 19)), new Float32Array(rows * s.vectorParams), 1),
        nb.columnSums(data, 19, new Float64Array(19)),
      ];
      x[100_000 * 19 + 18] = NaN; // in the second thread's half
      assert.deepEqual(firstBad(x), [100_000, 100_000, 100_000], name);
      x[30_000 * 19 + 3] = -Infinity; // and now one in the first half too
      assert.deepEqual(firstBad(x), [30_000, 30_000, 30_000], name);
    }
  });

  test('bad arguments throw JS errors instead of crashing', () => {
    if (!native.ok) return;
    const { addon } = native;
    const x = new Float32Array(8);
    assert.throws(
      () => addon.encode(1, x, 4, new Float32Array(0), new Uint8Array(3), new Float32Array(2), 1),
      (e: Error) => e instanceof RangeError && /codes buffer holds 3 bytes/.test(e.message),
    );
    assert.throws(() => addon.encode(1, x, 4, new Float32Array(0), new Uint8Array(8), new Float32Array(x.buffer, 0, 2), 1), /overlaps x/);
    assert.throws(
      () => addon.encode(1, [1, 2] as unknown as Float32Array, 2, new Float32Array(0), new Uint8Array(2), new Float32Array(1), 1),
      (e: Error) => e instanceof TypeError,
    );
    assert.throws(() => addon.encode(13, x, 4, new Float32Array(0), new Uint8Array(8), new Float32Array(2), 1), /unknown scheme id 13/);
    assert.throws(() => addon.encode(1, x, 4.5, new Float32Array(0), new Uint8Array(8), new Float32Array(2), 1), /whole number/);
    assert.throws(() => addon.decode(1, new Uint8Array(8), new Float32Array(2), new Float32Array(0), 4, new Float32Array(7), 1), /not a multiple/);
    assert.throws(() => (addon.encode as unknown as () => void)(), /missing/);
  });
});
