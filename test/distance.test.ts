import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsBackend } from '../src/backends/js/index.js';
import { nativeBackend } from '../src/backends/native.js';
import type { MetricName } from '../src/distance/metrics.js';
import { native, randomVectors, rng, skipWithoutNative } from './helpers.js';

const DIMS = [1, 7, 15, 16, 17, 65, 128, 129, 768, 1536];

function randomI8(n: number, seed: number): Int8Array {
  const next = rng(seed);
  return Int8Array.from({ length: n }, () => Math.floor(next() * 256) - 128);
}
function randomBits(n: number, seed: number): Uint8Array {
  const next = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/** Sum of |terms| of a float32 distance: the scale its rounding error is relative to. */
function magnitude(metric: MetricName, a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++)
    s += metric === 'dot' ? Math.abs(a[i] * b[i]) : metric === 'cosine' ? 1 / a.length : (a[i] - b[i]) ** 2 + Math.abs(a[i] - b[i]);
  return s;
}

describe('js distances against hand-computed values', () => {
  const a = Float32Array.from([1, 2, 3]);
  const b = Float32Array.from([4, 6, 8]);
  test('float32', () => {
    assert.equal(jsBackend.distancePair('l2sq', a, b), 50);
    assert.equal(jsBackend.distancePair('dot', a, b), 40);
    assert.equal(jsBackend.distancePair('manhattan', a, b), 12);
    assert.equal(jsBackend.distancePair('cosine', a, b), Math.fround(1 - 40 / Math.sqrt(14 * 116)));
    assert.equal(jsBackend.distancePair('cosine', new Float32Array(3), b), 1);
  });
  test('int8 and hamming', () => {
    const x = Int8Array.from([-128, 127, 5]);
    const y = Int8Array.from([127, -128, 5]);
    assert.equal(jsBackend.distancePair('l2sq', x, y), 2 * 255 * 255);
    assert.equal(jsBackend.distancePair('dot', x, y), -128 * 127 * 2 + 25);
    assert.equal(jsBackend.distancePair('hamming', Uint8Array.from([0xff, 0x0f, 1]), Uint8Array.from([0x00, 0x0f, 0])), 9);
  });
  test('topk by hand, with ties and NaN', () => {
    const scores = Float32Array.from([5, 1, NaN, 1, 0, 3, -2, 1]);
    const idx = new Uint32Array(5);
    const dist = new Float32Array(5);
    jsBackend.topk(scores, 5, idx, dist);
    assert.deepEqual(Array.from(idx), [6, 4, 1, 3, 7]);
    assert.deepEqual(Array.from(dist), [-2, 0, 1, 1, 1]);
    jsBackend.topk(scores, 8, new Uint32Array(8), new Float32Array(8));
    assert.throws(() => jsBackend.topk(scores, 9, new Uint32Array(9), new Float32Array(9)), /k must be between 1 and the number of scores \(8\)/);
  });
  test('a metric that does not fit the type is refused', () => {
    assert.throws(() => jsBackend.distancePair('hamming', a, b), /metric hamming does not apply to Float32Array/);
    assert.throws(() => jsBackend.distancePair('manhattan', Int8Array.of(1), Int8Array.of(2)), /does not apply to Int8Array/);
  });
});

describe('native against js', { skip: skipWithoutNative }, () => {
  const nb = native.ok ? nativeBackend(native.addon) : jsBackend;

  test('int8 and hamming: exactly equal, pair and one-to-many', () => {
    for (const dim of DIMS) {
      const q = randomI8(dim, dim);
      const rows = randomI8(dim * 50, dim + 1);
      for (const metric of ['l2sq', 'dot', 'cosine'] as const) {
        const [o1, o2] = [new Float32Array(50), new Float32Array(50)];
        nb.distanceMany(metric, q, rows, o1, 2);
        jsBackend.distanceMany(metric, q, rows, o2, 1);
        assert.deepEqual(o1, o2, `${metric} dim ${dim}`);
        assert.equal(nb.distancePair(metric, q, rows.subarray(0, dim)), jsBackend.distancePair(metric, q, rows.subarray(0, dim)));
      }
      const bq = randomBits(dim, dim + 2);
      const brows = randomBits(dim * 50, dim + 3);
      const [h1, h2] = [new Float32Array(50), new Float32Array(50)];
      nb.distanceMany('hamming', bq, brows, h1, 1);
      jsBackend.distanceMany('hamming', bq, brows, h2, 1);
      assert.deepEqual(h1, h2, `hamming dim ${dim}`);
    }
  });

  test('float32: equal within float32 rounding of the sum', () => {
    for (const dim of DIMS) {
      const q = randomVectors(1, dim, dim);
      const rows = randomVectors(20, dim, dim + 7);
      for (const metric of ['l2sq', 'dot', 'cosine', 'manhattan'] as const) {
        const [o1, o2] = [new Float32Array(20), new Float32Array(20)];
        nb.distanceMany(metric, q, rows, o1, 1);
        jsBackend.distanceMany(metric, q, rows, o2, 1);
        for (let j = 0; j < 20; j++) {
          const tol = 1e-5 * magnitude(metric, q, rows.subarray(j * dim, (j + 1) * dim)) + 1e-6;
          assert.ok(Math.abs(o1[j] - o2[j]) <= tol, `${metric} dim ${dim} row ${j}: ${o1[j]} vs ${o2[j]}`);
        }
      }
    }
  });

  test('distance matrix, awkward shapes', () => {
    for (const [m, n, dim] of [
      [1, 1, 1],
      [13, 70, 7],
      [9, 33, 129],
      [17, 300, 128],
    ]) {
      const q = randomVectors(m, dim, m);
      const b = randomVectors(n, dim, n);
      for (const metric of ['l2sq', 'dot', 'cosine', 'manhattan'] as const) {
        const [o1, o2] = [new Float32Array(m * n), new Float32Array(m * n)];
        nb.distanceMatrix(metric, q, b, dim, o1, 2);
        jsBackend.distanceMatrix(metric, q, b, dim, o2, 1);
        for (let i = 0; i < m * n; i++) {
          const scale = metric === 'cosine' ? 1 : 4 * 16 * dim; // values in [-4, 4)
          assert.ok(Math.abs(o1[i] - o2[i]) <= 1e-5 * scale, `${metric} ${m}x${n}x${dim} at ${i}: ${o1[i]} vs ${o2[i]}`);
        }
      }
    }
  });

  test('topk: identical indexes and scores', () => {
    const next = rng(9);
    const scores = Float32Array.from({ length: 200_000 }, () => Math.floor(next() * 50_000) / 3);
    for (let i = 0; i < 1000; i += 7) scores[i] = NaN;
    for (const k of [1, 10, 100, 1000]) {
      const a = [new Uint32Array(k), new Float32Array(k)] as const;
      const b = [new Uint32Array(k), new Float32Array(k)] as const;
      nb.topk(scores, k, ...a);
      jsBackend.topk(scores, k, ...b);
      assert.deepEqual(a[0], b[0], `k ${k}`);
      assert.deepEqual(a[1], b[1], `k ${k}`);
    }
  });

  test('copy, and bad arguments become JS errors', () => {
    const src = randomVectors(10, 10, 1);
    const dst = new Float32Array(100);
    nb.copy(src, dst);
    assert.deepEqual(dst, src);
    assert.throws(() => nb.copy(src, new Float32Array(3)), /src holds 100 floats, dst 3/);
    assert.throws(() => nb.distancePair('hamming', src, src), /metric hamming does not apply/);
    assert.throws(() => nb.distanceMany('l2sq', src.subarray(0, 10), src, new Float32Array(3), 1), /rows hold 100 values/);
    assert.throws(() => nb.topk(src, 0, new Uint32Array(0), new Float32Array(0)), /k must be between 1/);
  });
});
