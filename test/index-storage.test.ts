import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decodeGraph, encodeGraph } from '../src/index/graph-codec.js';
import { readIndex, type Storage } from '../src/index/format.js';
import { HnswIndex } from '../src/index/hnsw.js';
import { FlatIndex } from '../src/index/flat.js';
import { loadIndex } from '../src/index/load.js';
import { readTruthFile, type Truth } from '../src/formats/truth.js';
import { recallAtK } from '../src/index/recall.js';
import { ROOT, cli, expectCliErrors, listDir, native, randomVectors, rng, tempDir, readAllVectors } from './helpers.js';

const SIFT = `${ROOT}/fixtures/siftsmall`;
const backends = native.ok ? (['native', 'js'] as const) : (['js'] as const);

const readAll = readAllVectors;

const base = await readAll(`${SIFT}/siftsmall_base.fvecs`);
const queries = await readAll(`${SIFT}/siftsmall_query.fvecs`);
const truth = await readTruthFile(`${SIFT}/siftsmall_groundtruth.ivecs`);

describe('int8 and binary storage', () => {
  const dir = tempDir();

  for (const storage of ['int8', 'binary'] as Storage[]) {
    for (const metric of ['l2', 'cosine'] as const) {
      test(`${storage} ${metric}: native and js build byte-identical files, search alike, and read each other's`, {
        skip: !native.ok && 'needs the native addon',
      }, async () => {
        const x = base.subarray(0, 2000 * 128);
        for (const backend of ['native', 'js'] as const) {
          const index = HnswIndex.create({ dim: 128, metric, m: 8, efConstruction: 48, seed: 9, storage, keepVectors: true, backend });
          index.add(x);
          await index.save(`${dir}/${storage}-${metric}-${backend}.vidx`);
        }
        const [a, b] = ['native', 'js'].map((be) => readFileSync(`${dir}/${storage}-${metric}-${be}.vidx`));
        assert.ok(a.equals(b), 'same bytes');
        const { index: inJs } = await loadIndex(`${dir}/${storage}-${metric}-native.vidx`, 'js');
        const { index: inNative } = await loadIndex(`${dir}/${storage}-${metric}-js.vidx`, 'native');
        for (const rerank of [0, 40]) {
          const [r1, r2] = [inJs, inNative].map((i) => i.search(queries, 10, { ef: 40, rerank }));
          assert.deepEqual(r1.ids, r2.ids, `rerank ${rerank}`);
          assert.equal(r1.distanceComputations, r2.distanceComputations);
          // Code distances match exactly; re-scored float32 ones to the last bits.
          if (rerank === 0 || metric === 'l2') assert.deepEqual(r1.distances, r2.distances);
        }
      });
    }
  }

  for (const backend of backends) {
    test(`${backend}: int8 reaches the f32 graph's recall with rerank, in a third of the bytes`, async () => {
      const n = backend === 'js' ? 4000 : 10_000;
      const x = base.subarray(0, n * 128);
      const exact = HnswIndex.create({ dim: 128, m: 16, efConstruction: 100, backend });
      exact.add(x);
      const int8 = HnswIndex.create({ dim: 128, m: 16, efConstruction: 100, storage: 'int8', keepVectors: true, backend });
      int8.add(x);
      if (n === 10_000) {
        const f32Recall = recallAtK(exact.search(queries, 10, { ef: 64 }).ids, truth, 10);
        const codes = recallAtK(int8.search(queries, 10, { ef: 64 }).ids, truth, 10);
        const reranked = recallAtK(int8.search(queries, 10, { ef: 64, rerank: 64 }).ids, truth, 10);
        assert.ok(codes >= 0.95 && reranked >= 0.99 && reranked >= f32Recall - 0.01, `f32 ${f32Recall}, int8 ${codes}, int8 + rerank ${reranked}`);
      }
      // Re-scored distances are the exact ones.
      const r = int8.search(queries.subarray(0, 128), 5, { ef: 64, rerank: 32 });
      const e = exact.search(queries.subarray(0, 128), 5, { ef: 200 });
      assert.deepEqual(r.ids, e.ids);
      for (let j = 0; j < 5; j++) assert.ok(Math.abs(r.distances[j] - e.distances[j]) <= 1e-6 * e.distances[j]);

      await exact.save(`${dir}/f32-${backend}.vidx`);
      const withoutVectors = { ...int8.toData(), keepVectors: false, vectors: new Float32Array(0) };
      const { writeIndex } = await import('../src/index/format.js');
      await writeIndex(`${dir}/int8-${backend}.vidx`, withoutVectors);
      const ratio = statSync(`${dir}/int8-${backend}.vidx`).size / statSync(`${dir}/f32-${backend}.vidx`).size;
      assert.ok(ratio <= 0.35, `int8 index is ${ratio.toFixed(3)} of the f32 one`);
      const back = HnswIndex.fromData(await readIndex(`${dir}/int8-${backend}.vidx`), backend);
      assert.deepEqual(
        back.search(queries, 10, { ef: 64 }).ids,
        int8.search(queries, 10, { ef: 64 }).ids,
        'dropping the kept vectors keeps the graph and the codes',
      );
      assert.throws(() => back.search(queries, 10, { rerank: 20 }), /rerank needs the float32 vectors: build the index with keepVectors/);
    });

    test(`${backend}: binary ranks by hamming; rerank lifts its recall; the center is the mean of the first add`, () => {
      const x = base.subarray(0, 3000 * 128);
      const index = HnswIndex.create({ dim: 128, m: 16, efConstruction: 100, storage: 'binary', keepVectors: true, backend });
      index.add(x);
      const d = index.toData();
      for (let j = 0; j < 128; j += 31) {
        let sum = 0;
        for (let r = 0; r < 3000; r++) sum += x[r * 128 + j];
        assert.equal(d.center[j], Math.fround(sum / 3000), `center[${j}]`);
      }
      assert.equal(d.codes.length, 3000 * 16);
      const plain = index.search(queries, 10, { ef: 100 });
      assert.ok(
        plain.distances.every((v) => Number.isInteger(v) && v >= 0 && v <= 128),
        'hamming distances',
      );
      const t = exactTruth(x, queries, 10);
      const [r0, r1] = [recallAtK(plain.ids, t, 10), recallAtK(index.search(queries, 10, { ef: 100, rerank: 100 }).ids, t, 10)];
      assert.ok(r1 > r0 + 0.3 && r1 >= 0.8, `binary recall ${r0}, with rerank ${r1}`);
      assert.throws(() => HnswIndex.create({ dim: 4, storage: 'f32', keepVectors: true, backend }), /keeping vectors applies to int8 and binary/);
      assert.throws(() => HnswIndex.create({ dim: 4, center: new Float32Array(4), backend }), /only binary and rabitq storage take a center/);
      assert.throws(() => HnswIndex.create({ dim: 4, storage: 'rabitq2', center: new Float32Array(3), backend }), /the center must hold 4 values, got 3/);
      assert.throws(() => HnswIndex.create({ dim: 4, storage: 'rabitq2', backend }).add(Float32Array.of(1, 2, 3, NaN)), /NaN/);
      assert.throws(() => HnswIndex.create({ dim: 4, storage: 'int4' as Storage, backend }), /unknown storage 'int4'/);
    });
  }
});

/** Exact neighbours by brute force in float64 (independent of the code under test). */
function exactTruth(x: Float32Array, q: Float32Array, k: number): Truth {
  const n = x.length / 128;
  const rows = Array.from({ length: q.length / 128 }, (_, i) => {
    const d = Array.from({ length: n }, (_, r) => {
      let s = 0;
      for (let j = 0; j < 128; j++) s += (x[r * 128 + j] - q[i * 128 + j]) ** 2;
      return [s, r] as const;
    });
    d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return d.slice(0, k).map((p) => p[1]);
  });
  return { ids: Int32Array.from(rows.flat()), count: rows.length, width: k };
}

test('graph codec: round trip of random sorted lists, and every kind of damage refused', () => {
  const next = rng(7);
  const m = 4;
  const n = 500;
  const levels = Uint8Array.from({ length: n }, () => (next() < 0.2 ? 1 + Math.floor(next() * 3) : 0));
  const list = (cap: number, layer: number) => {
    const ids = new Set<number>();
    const want = Math.floor(next() * (cap + 1));
    for (let tries = 0; ids.size < want && tries < 1000; tries++) {
      const id = Math.floor(next() * n);
      if (levels[id] >= layer) ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  };
  const links0 = new Uint32Array(n * (1 + 2 * m));
  const upper = new Uint32Array(levels.reduce((s, l) => s + l * (1 + m), 0));
  for (let i = 0; i < n; i++) {
    const l = list(2 * m, 0);
    links0[i * (1 + 2 * m)] = l.length;
    links0.set(l, i * (1 + 2 * m) + 1);
  }
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let layer = 1; layer <= levels[i]; layer++, at += 1 + m) {
      const l = list(m, layer);
      upper[at] = l.length;
      upper.set(l, at + 1);
    }
  }
  const bytes = encodeGraph({ m, levels, links0, upper });
  const back = { m, levels, links0: new Uint32Array(links0.length), upper: new Uint32Array(upper.length) };
  decodeGraph(bytes, back);
  assert.deepEqual([back.links0, back.upper], [links0, upper]);
  const fresh = () => ({ m, levels, links0: new Uint32Array(links0.length), upper: new Uint32Array(upper.length) });
  assert.throws(() => decodeGraph(bytes.subarray(0, bytes.length - 1), fresh()), /ends in the middle of a link list/);
  assert.throws(() => decodeGraph(Uint8Array.of(...bytes, 0), fresh()), /1 bytes left over after the graph/);
  const unsorted = links0.slice();
  const first = unsorted.findIndex((_, i) => i % (1 + 2 * m) === 0 && unsorted[i] >= 2);
  [unsorted[first + 1], unsorted[first + 2]] = [unsorted[first + 2], unsorted[first + 1]];
  assert.throws(() => encodeGraph({ m, levels, links0: unsorted, upper }), /increasing order/);
  // An upper-layer link to a node that is not on that layer.
  const low = levels.indexOf(0);
  const up = upper.slice();
  up[0] = 1;
  up[1] = low;
  assert.throws(() => decodeGraph(encodeGraph({ m, levels, links0, upper: up }), fresh()), new RegExp(`links to ${low} on layer 1, which is not a node there`));
});

describe('vectro index with int8 and binary storage, end to end', () => {
  const dir = tempDir();
  test('build --storage int8 --keep-vectors, info, search --rerank with recall', () => {
    const built = cli([
      'index',
      'build',
      `${SIFT}/siftsmall_base.fvecs`,
      '-o',
      `${dir}/i8.vidx`,
      '--storage',
      'int8',
      '--keep-vectors',
      '--ef-construction',
      '100',
      '--json',
    ]);
    assert.equal(built.code, 0, built.stderr);
    const b = JSON.parse(built.stdout);
    assert.deepEqual([b.storage, b.keepVectors, b.count], ['int8', true, 10_000]);
    const info = cli(['index', 'info', `${dir}/i8.vidx`]);
    assert.match(info.stdout, /hnsw, l2, int8 \+ float32 vectors/);
    const search = (extra: string[]) => {
      const r = cli([
        'index',
        'search',
        `${dir}/i8.vidx`,
        `${SIFT}/siftsmall_query.fvecs`,
        '-k',
        '10',
        '--ef',
        '64',
        '--groundtruth',
        `${SIFT}/siftsmall_groundtruth.ivecs`,
        '--json',
        ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const [codes, reranked] = [search([]), search(['--rerank', '64'])];
    assert.ok(codes.recall >= 0.95 && reranked.recall >= 0.99 && reranked.rerank === 64, `recall ${codes.recall} -> ${reranked.recall}`);
    assert.ok(reranked.distances_per_query > codes.distances_per_query, 'rerank counts its exact distances');
  });

  test('build --storage binary (a first pass computes the center); bad input', () => {
    const built = cli(['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/b.vidx`, '--storage', 'binary', '--json']);
    assert.equal(built.code, 0, built.stderr);
    assert.deepEqual([JSON.parse(built.stdout).storage, JSON.parse(built.stdout).keepVectors], ['binary', false]);
    assert.ok(statSync(`${dir}/b.vidx`).size < 10_000 * 16 + 10_000 * 40, 'bits, not floats');
    const before = listDir(dir);
    expectCliErrors([
      [
        ['index', 'search', `${dir}/b.vidx`, `${SIFT}/siftsmall_query.fvecs`, '--rerank', '50'],
        2,
        /^error: --rerank 50: .*b\.vidx was built without --keep-vectors$/,
      ],
    ]);
    assert.deepEqual(listDir(dir), before);
  });
});

test('a random-data int8 index round-trips through its file on every backend', async () => {
  const dir = tempDir();
  const x = randomVectors(700, 33, 3);
  for (const backend of backends) {
    const index = HnswIndex.create({ dim: 33, m: 6, efConstruction: 30, storage: 'int8', backend });
    index.add(x);
    await index.save(`${dir}/r.vidx`);
    const { index: back } = await loadIndex(`${dir}/r.vidx`, backend);
    const q = randomVectors(20, 33, 4);
    assert.deepEqual(back.search(q, 5, { ef: 20 }), index.search(q, 5, { ef: 20 }), backend);
  }
});

test('fileBytes() is the size save() writes, without copying the vectors (every storage, both backends, flat)', async () => {
  const dir = tempDir();
  const x = randomVectors(300, 20, 9);
  const kinds: [Storage, boolean][] = [
    ['f32', false],
    ['int8', false],
    ['int8', true],
    ['binary', false],
    ['binary', true],
    ...Array.from(
      { length: 8 },
      (_, b) =>
        [
          [`rabitq${b + 1}` as Storage, false],
          [`rabitq${b + 1}` as Storage, true],
        ] as [Storage, boolean][],
    ).flat(),
  ];
  for (const backend of backends) {
    for (const [storage, keepVectors] of kinds) {
      const index = HnswIndex.create({ dim: 20, m: 6, efConstruction: 30, storage, keepVectors, backend });
      index.add(x);
      const path = `${dir}/${backend}-${storage}-${keepVectors}.vidx`;
      await index.save(path);
      assert.equal(index.fileBytes(), statSync(path).size, `${backend} ${storage} keep=${keepVectors}`);
    }
    const flat = FlatIndex.create({ dim: 20, backend });
    flat.add(x);
    await flat.save(`${dir}/flat-${backend}.vidx`);
    assert.equal(flat.fileBytes(), statSync(`${dir}/flat-${backend}.vidx`).size);
  }
});

describe('rabitq storage', () => {
  const dir = tempDir();
  const x = base.subarray(0, 2000 * 128);
  const exact = FlatIndex.create({ dim: 128, metric: 'l2' });
  exact.add(x);
  const want = exact.search(queries, 10).ids;
  const recall = (ids: Uint32Array) => {
    let hits = 0;
    for (let q = 0; q < 100; q++) {
      const t = new Set(want.subarray(q * 10, (q + 1) * 10));
      for (let j = 0; j < 10; j++) hits += t.has(ids[q * 10 + j]) ? 1 : 0;
    }
    return hits / 1000;
  };

  for (const storage of ['rabitq1', 'rabitq4'] as Storage[]) {
    test(`${storage}: native and js build byte-identical files from whole numbers, and search alike`, {
      skip: !native.ok && 'needs the native addon',
    }, async () => {
      for (const backend of ['native', 'js'] as const) {
        const index = HnswIndex.create({ dim: 128, metric: 'l2', m: 8, efConstruction: 48, seed: 9, storage, keepVectors: true, backend });
        index.add(x);
        await index.save(`${dir}/${storage}-${backend}.vidx`);
      }
      const [a, b] = ['native', 'js'].map((be) => readFileSync(`${dir}/${storage}-${be}.vidx`));
      assert.ok(a.equals(b), 'same bytes');
      const { index: inJs } = await loadIndex(`${dir}/${storage}-native.vidx`, 'js');
      const { index: inNative } = await loadIndex(`${dir}/${storage}-js.vidx`, 'native');
      for (const rerank of [0, 40]) {
        const [r1, r2] = [inJs, inNative].map((i) => i.search(queries, 10, { ef: 40, rerank }));
        assert.deepEqual(r1.ids, r2.ids, `rerank ${rerank}`);
        assert.deepEqual(Array.from(r1.distances), Array.from(r2.distances), `rerank ${rerank}`);
        assert.equal(r1.distanceComputations, r2.distanceComputations, `rerank ${rerank}: the bound rule skips the same candidates`);
      }
    });
  }

  for (const backend of backends) {
    test(`${backend}: rerank lifts rabitq1 past binary, the bound rule skips candidates, and a reloaded index without vectors searches the same`, async () => {
      const r1 = HnswIndex.create({ dim: 128, m: 16, efConstruction: 100, storage: 'rabitq1', keepVectors: true, backend });
      r1.add(x);
      const plain = r1.search(queries, 10, { ef: 100 });
      const reranked = r1.search(queries, 10, { ef: 100, rerank: 100 });
      assert.ok(recall(reranked.ids) > 0.95 && recall(reranked.ids) > recall(plain.ids) + 0.2, `${recall(plain.ids)} -> ${recall(reranked.ids)}`);
      // Without the bound rule the rerank would measure 100 exact distances per query on top of the walk.
      const walk = plain.distanceComputations;
      assert.ok(reranked.distanceComputations - walk < 100 * 100, `exact re-scorings: ${reranked.distanceComputations - walk}`);
      const r4 = HnswIndex.create({ dim: 128, m: 16, efConstruction: 100, storage: 'rabitq4', backend });
      r4.add(x);
      const before = r4.search(queries, 10, { ef: 64 });
      assert.ok(recall(before.ids) > 0.85, `rabitq4 without rerank: ${recall(before.ids)}`);
      await r4.save(`${dir}/r4-${backend}.vidx`);
      const { index: again } = await loadIndex(`${dir}/r4-${backend}.vidx`, backend);
      assert.deepEqual(again.search(queries, 10, { ef: 64 }).ids, before.ids);
      assert.ok(statSync(`${dir}/r4-${backend}.vidx`).size < 0.3 * 2000 * 512 + 2000 * 8 * 16, 'codes, factors and graph only');
    });
  }

  test('a rabitq index whose rotation words are wrong is refused, under a valid checksum', async () => {
    const path = `${dir}/bad-source.vidx`;
    const index = HnswIndex.create({ dim: 128, m: 8, efConstruction: 32, storage: 'rabitq2', backend: 'js' });
    index.add(x.subarray(0, 200 * 128));
    await index.save(path);
    const r = cli(['index', 'info', path]);
    assert.equal(r.code, 0, r.stderr);
    const d = await readIndex(path);
    assert.equal(d.center.length, 8 + 128);
    new Uint32Array(d.center.buffer, d.center.byteOffset, 8)[0] = 9;
    const { writeIndex } = await import('../src/index/format.js');
    await writeIndex(`${dir}/bad.vidx`, d);
    for (const cmd of [
      ['index', 'info', `${dir}/bad.vidx`],
      ['index', 'search', `${dir}/bad.vidx`, `${SIFT}/siftsmall_query.fvecs`, '-o', `${dir}/r.ivecs`],
    ]) {
      const bad = cli(cmd);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stderr, /bad rabitq2 parameters: unknown rotation kind 9/);
    }
  });
});
