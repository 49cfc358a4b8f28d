import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../src/backends/select.js';
import { lidOf, measureDifficulty, sampleIndexes } from '../src/datasets/difficulty.js';
import { syntheticGenerator } from '../src/datasets/synthetic.js';
import { VectorReader } from '../src/formats/vectors.js';
import { ROOT } from './helpers.js';

async function load(path: string) {
  const r = await VectorReader.open(path);
  const x = new Float32Array(r.info.count * r.info.dim);
  await r.read(0, r.info.count, x);
  await r.close();
  return { x, dim: r.info.dim };
}

test('lidOf is the maximum-likelihood estimate -k / sum ln(d_i / d_k)', () => {
  // k = 3: ln(1/4) + ln(2/4) + ln(4/4) = -ln 8, so LID = 3 / ln 8.
  assert.ok(Math.abs(lidOf([1, 2, 4], 3) - 3 / Math.log(8)) < 1e-12);
  assert.ok(Number.isNaN(lidOf([1, 1, 1], 3)), 'equal distances: no estimate');
  assert.ok(Number.isNaN(lidOf([1, 2], 3)), 'too few distances');
});

test('sampleIndexes: distinct, increasing, the same for a seed, all of them when few', () => {
  const a = sampleIndexes(1000, 50, 7);
  assert.equal(new Set(a).size, 50);
  assert.ok(a.every((v, i) => v < 1000 && (i === 0 || v > a[i - 1])));
  assert.deepEqual(sampleIndexes(1000, 50, 7), a);
  assert.notDeepEqual(sampleIndexes(1000, 50, 8), a);
  assert.deepEqual([...sampleIndexes(4, 50, 7)], [0, 1, 2, 3]);
});

for (const backend of ['native', 'js'] as const) {
  test(`siftsmall's difficulty matches the figures measured independently (shared/guide/datasets.md) [${backend}]`, async (t) => {
    const b = selectBackend(backend === 'native' ? 'auto' : 'js');
    if (b.name !== backend) return t.skip('native addon not loaded');
    const base = await load(`${ROOT}fixtures/siftsmall/siftsmall_base.fvecs`);
    const queries = await load(`${ROOT}fixtures/siftsmall/siftsmall_query.fvecs`);
    const d = measureDifficulty(base.x, queries.x, 128, 'l2', b, 2, 42);
    assert.equal(d.queries, 100);
    assert.equal(d.relative_contrast.toFixed(2), '3.16');
    assert.equal(d.lid_20.toFixed(1), '15.6');
    assert.equal(d.lid_20_median.toFixed(1), '13.9');
    assert.equal(d.lid_100!.toFixed(1), '14.4');
  });
}

test('the hard synthetic preset is hard: low contrast, high LID; the sift preset is not', () => {
  const measure = (preset: 'sift' | 'hard', dim: number) => {
    const g = syntheticGenerator(dim, 3, preset);
    const base = new Float32Array(20_000 * dim);
    const queries = new Float32Array(100 * dim);
    g.base(base);
    g.queries(queries);
    return measureDifficulty(base, queries, dim, preset === 'hard' ? 'cosine' : 'l2', selectBackend('auto'), 2, 1);
  };
  const hard = measure('hard', 100);
  const sift = measure('sift', 128);
  assert.ok(hard.relative_contrast < 2.2 && hard.lid_20 > 28, `hard: ${JSON.stringify(hard)}`);
  assert.ok(sift.relative_contrast > 2.5 && sift.lid_20 < 22, `sift: ${JSON.stringify(sift)}`);
});
