import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { FlatIndex } from '../src/index/flat.js';
import { readIndex } from '../src/index/format.js';
import { HnswIndex } from '../src/index/hnsw.js';
import { loadIndex } from '../src/index/load.js';
import { readTruthFile } from '../src/formats/truth.js';
import { recallAtK } from '../src/index/recall.js';
import { crcUpdate } from '../src/formats/checksum.js';
import { ROOT, cli, listDir, native, skipWithoutNative, tempDir, texmexBytes, writeFile, expectCliErrors, readAllVectors } from './helpers.js';

const SIFT = `${ROOT}/fixtures/siftsmall`;

const readAll = readAllVectors;

test('crcUpdate: an empty chunk leaves the checksum alone (Node 20 zlib returns 0 there)', () => {
  const empty = new Uint8Array(new Uint32Array(0).buffer, 0, 0);
  assert.equal(crcUpdate(empty, 12345), 12345);
  assert.equal(crcUpdate(Uint8Array.of(1, 2, 3), crcUpdate(empty, crcUpdate(Uint8Array.of(9)))), crc32(Uint8Array.of(9, 1, 2, 3)));
});

describe('HnswIndex', { skip: skipWithoutNative }, () => {
  const dir = tempDir();

  test('siftsmall: recall@10 against the published ground truth, save and load, deterministic files', async () => {
    const base = await readAll(`${SIFT}/siftsmall_base.fvecs`);
    const queries = await readAll(`${SIFT}/siftsmall_query.fvecs`);
    const truth = await readTruthFile(`${SIFT}/siftsmall_groundtruth.ivecs`);
    const index = HnswIndex.create({ dim: 128, m: 16, efConstruction: 200, seed: 7 });
    index.add(base.subarray(0, 5000 * 128));
    index.add(base.subarray(5000 * 128)); // in two batches
    assert.equal(index.count, 10_000);
    const r64 = index.search(queries, 10, { ef: 64 });
    const recall = recallAtK(r64.ids, truth, 10);
    assert.ok(recall >= 0.99, `recall@10 at ef=64: ${recall}`);
    assert.ok(r64.distanceComputations > 100 * 100 && r64.distanceComputations < 100 * 10_000, 'far fewer distances than exact search');
    assert.ok(recallAtK(index.search(queries, 10, { ef: 10 }).ids, truth, 10) <= recall);

    await index.save(`${dir}/a.vidx`);
    const { index: back } = await loadIndex(`${dir}/a.vidx`);
    assert.deepEqual(back.search(queries, 10, { ef: 64 }), r64);

    const again = HnswIndex.create({ dim: 128, m: 16, efConstruction: 200, seed: 7 });
    again.add(base);
    await again.save(`${dir}/b.vidx`);
    assert.ok(readFileSync(`${dir}/a.vidx`).equals(readFileSync(`${dir}/b.vidx`)), 'same input and seed, same bytes');
  });

  test('a two-thread build loads back and keeps its recall', async () => {
    const base = await readAll(`${SIFT}/siftsmall_base.fvecs`);
    const queries = await readAll(`${SIFT}/siftsmall_query.fvecs`);
    const truth = await readTruthFile(`${SIFT}/siftsmall_groundtruth.ivecs`);
    const index = HnswIndex.create({ dim: 128 });
    index.add(base, { threads: 2 });
    await index.save(`${dir}/threads.vidx`);
    const { index: back } = await loadIndex(`${dir}/threads.vidx`);
    assert.ok(recallAtK(back.search(queries, 10, { ef: 64 }).ids, truth, 10) >= 0.99);
  });

  test('arguments are checked before native code runs', () => {
    const index = HnswIndex.create({ dim: 4 });
    assert.throws(() => index.add(new Float32Array(6)), /6 floats, not whole vectors of dimension 4/);
    index.add(new Float32Array(8).fill(1));
    assert.throws(() => index.search(new Float32Array(4), 10, { ef: 5 }), /ef \(5\) must be at least k \(10\)/);
    assert.throws(() => HnswIndex.create({ dim: 4, m: 1 }), /M must be between 2 and 256/);
    assert.throws(() => HnswIndex.create({ dim: 4, m: 1, backend: 'js' }), /M must be between 2 and 256/);
  });

  test("on data with exact distances, native and js build byte-identical indexes, and read each other's", async () => {
    const base = (await readAll(`${SIFT}/siftsmall_base.fvecs`)).subarray(0, 3000 * 128);
    const queries = await readAll(`${SIFT}/siftsmall_query.fvecs`);
    for (const backend of ['native', 'js'] as const) {
      const index = HnswIndex.create({ dim: 128, m: 8, efConstruction: 64, seed: 3, backend });
      index.add(base);
      assert.equal(index.backend, backend);
      await index.save(`${dir}/${backend}-3000.vidx`);
    }
    assert.ok(readFileSync(`${dir}/native-3000.vidx`).equals(readFileSync(`${dir}/js-3000.vidx`)));
    const { index: inJs } = await loadIndex(`${dir}/native-3000.vidx`, 'js');
    const { index: inNative } = await loadIndex(`${dir}/js-3000.vidx`, 'native');
    const a = inJs.search(queries, 10, { ef: 32 });
    const b = inNative.search(queries, 10, { ef: 32 });
    assert.deepEqual(a.ids, b.ids);
    assert.equal(a.distanceComputations, b.distanceComputations);
  });

  test('the int8 guide: native and js build the same bytes with it, whatever the batches, and it changes the graph', async () => {
    const base = (await readAll(`${SIFT}/siftsmall_base.fvecs`)).subarray(0, 3000 * 128);
    // Nodes from 1,200 on search the guide; the native build adds in batches that straddle that point.
    const guideFromBytes = 1200 * 128 * 4;
    // rabitq's default center is the mean of the first add: given here, so the batches do not move it.
    const center = new Float32Array(128);
    for (let i = 0; i < base.length; i++) center[i % 128] += base[i] / 3000;
    for (const storage of ['f32', 'rabitq4'] as const) {
      const file = (name: string) => `${dir}/guide-${storage}-${name}.vidx`;
      const make = (backend: 'native' | 'js', from: number) =>
        HnswIndex.create({
          dim: 128,
          m: 8,
          efConstruction: 64,
          seed: 3,
          storage,
          keepVectors: storage !== 'f32',
          center: storage === 'f32' ? undefined : center,
          guideFromBytes: from,
          backend,
        });
      const native = make('native', guideFromBytes);
      for (let at = 0; at < 3000; at += 700) native.add(base.subarray(at * 128, Math.min(3000, at + 700) * 128));
      await native.save(file('native'));
      const js = make('js', guideFromBytes);
      js.add(base);
      await js.save(file('js'));
      const plain = make('native', Infinity);
      plain.add(base);
      await plain.save(file('plain'));
      assert.ok(readFileSync(file('native')).equals(readFileSync(file('js'))), `${storage}: same bytes`);
      assert.ok(!readFileSync(file('native')).equals(readFileSync(file('plain'))), `${storage}: the guide was used`);
    }
    assert.throws(() => HnswIndex.create({ dim: 4, guideFromBytes: -1 }), /guideFromBytes must be a number of bytes, at least 0, got -1/);
  });
});

test('js HNSW alone: recall on siftsmall, cosine and ip', async () => {
  const base = await readAll(`${SIFT}/siftsmall_base.fvecs`);
  const queries = await readAll(`${SIFT}/siftsmall_query.fvecs`);
  const truth = await readTruthFile(`${SIFT}/siftsmall_groundtruth.ivecs`);
  const index = HnswIndex.create({ dim: 128, backend: 'js', m: 12, efConstruction: 100 });
  index.add(base);
  assert.ok(recallAtK(index.search(queries, 10, { ef: 64 }).ids, truth, 10) >= 0.99);
  for (const metric of ['ip', 'cosine'] as const) {
    const exact = FlatIndex.create({ dim: 128, metric, backend: 'js' });
    exact.add(base);
    const h = HnswIndex.create({ dim: 128, metric, backend: 'js', m: 12, efConstruction: 100 });
    h.add(base);
    const want = exact.search(queries, 10).ids;
    const t = { ids: Int32Array.from(want), count: 100, width: 10 };
    assert.ok(recallAtK(h.search(queries, 10, { ef: 100 }).ids, t, 10) >= 0.95, metric);
  }
});

describe('FlatIndex', () => {
  const dir = tempDir();
  test("both backends find the published neighbour sets, and read each other's files", async () => {
    const base = await readAll(`${SIFT}/siftsmall_base.fvecs`);
    const queries = await readAll(`${SIFT}/siftsmall_query.fvecs`);
    const truth = await readTruthFile(`${SIFT}/siftsmall_groundtruth.ivecs`);
    const backends = native.ok ? (['native', 'js'] as const) : (['js'] as const);
    for (const backend of backends) {
      const index = FlatIndex.create({ dim: 128, backend });
      index.add(base);
      assert.equal(recallAtK(index.search(queries, 100).ids, truth, 100), 1, backend);
      await index.save(`${dir}/${backend}.vidx`);
    }
    if (native.ok) {
      assert.ok(readFileSync(`${dir}/native.vidx`).equals(readFileSync(`${dir}/js.vidx`)));
      const { index } = await loadIndex(`${dir}/native.vidx`, 'js');
      assert.equal(recallAtK(index.search(queries, 10).ids, truth, 10), 1);
    }
  });
});

describe('corrupt index files are refused by both backends', () => {
  const dir = tempDir();
  const good = () => {
    const index = HnswIndex.create({ dim: 3, m: 4, seed: 1, backend: 'js' });
    index.add(Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)));
    return index.save(`${dir}/good.vidx`).then(() => readFileSync(`${dir}/good.vidx`));
  };
  /** Rewrites the trailer so only the graph check can catch the damage. */
  const resealed = (b: Buffer) => (b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4), b);
  const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['bad magic', (b) => (b.write('VECTROXX', 0, 'latin1'), b), /not a vectro index \(bad magic\)/],
    ['version', (b) => (b.writeUInt32LE(9, 8), b), /unsupported index version 9/],
    ['truncated', (b) => b.subarray(0, b.length - 100), /truncated: 100 vectors need \d+ bytes but the file has \d+/],
    ['flipped byte', (b) => ((b[200] ^= 0xff), b), /checksum mismatch: the file is corrupt/],
    // The graph starts with node 0's bottom-layer list: a LEB128 count, then its first id (< 128 here).
    [
      'neighbour id past the end, checksum fixed',
      (b) => {
        b[readIndexOffsets(b).graph + 1] = 127; // 100 nodes: there is no node 127
        return resealed(b);
      },
      /corrupt graph: node 0 links to 127 on layer 0, which is not a node there/,
    ],
    [
      'too many links, checksum fixed',
      (b) => {
        b[readIndexOffsets(b).graph] = 9; // 2M = 8 at most
        return resealed(b);
      },
      /corrupt graph: node 0 has 9 links on layer 0, at most 8/,
    ],
    [
      'a number past 32 bits, checksum fixed',
      (b) => {
        b.fill(0xff, readIndexOffsets(b).graph, readIndexOffsets(b).graph + 6);
        return resealed(b);
      },
      /corrupt graph: a number in the graph at byte 5 does not fit 32 bits/,
    ],
  ];
  for (const [name, corrupt, message] of cases) {
    test(name, async () => {
      const path = writeFile(dir, `${name.replace(/\W+/g, '-')}.vidx`, corrupt(Buffer.from(await good())));
      for (const backend of native.ok ? (['native', 'js'] as const) : (['js'] as const)) {
        await assert.rejects(loadIndex(path, backend), message, backend);
      }
    });
  }
});

/** Offsets of the sections of an f32 HNSW .vidx buffer (recomputed from docs/format.md, independently). */
function readIndexOffsets(b: Buffer) {
  const align = (n: number) => Math.ceil(n / 64) * 64;
  const count = Number(b.readBigUInt64LE(40));
  const dim = b.readUInt32LE(24);
  const vectors = 128;
  const levels = align(vectors + count * dim * 4); // codes, scales and center are empty
  const graph = align(levels + count);
  return { vectors, levels, graph };
}

describe('vectro index, end to end', () => {
  const dir = tempDir();
  test('build, info, search with recall, results files', () => {
    const built = cli(['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/s.vidx`, '--m', '12', '--ef-construction', '100', '--json']);
    assert.equal(built.code, 0, built.stderr);
    const b = JSON.parse(built.stdout);
    assert.deepEqual([b.type, b.metric, b.count, b.dim, b.m, b.efConstruction, b.levels[0]], ['hnsw', 'l2', 10_000, 128, 12, 100, 10_000]);
    assert.ok(b.meanDegree > 5 && b.meanDegree <= 24);
    const info = JSON.parse(cli(['index', 'info', `${dir}/s.vidx`, '--json']).stdout);
    assert.deepEqual(info.levels, b.levels);
    const s = cli([
      'index',
      'search',
      `${dir}/s.vidx`,
      `${SIFT}/siftsmall_query.fvecs`,
      '-k',
      '10',
      '--ef',
      '100',
      '--groundtruth',
      `${SIFT}/siftsmall_groundtruth.ivecs`,
      '-o',
      `${dir}/r.ivecs`,
      '--distances',
      `${dir}/r.fvecs`,
      '--json',
    ]);
    assert.equal(s.code, 0, s.stderr);
    const r = JSON.parse(s.stdout);
    assert.ok(r.recall >= 0.99, `recall ${r.recall}`);
    assert.ok(r.qps > 0 && r.batch_qps > 0 && r.p50_ms <= r.p95_ms && r.p95_ms <= r.p99_ms);
    assert.equal(readFileSync(`${dir}/r.ivecs`).length, 100 * 44);
    assert.equal(readFileSync(`${dir}/r.fvecs`).length, 100 * 44);
  });

  test('bad input: one error line, exit code, nothing left behind', () => {
    writeFile(dir, 'q3.fvecs', texmexBytes([[1, 2, 3]], 'f4'));
    writeFileSync(`${dir}/junk.vidx`, 'not an index at all, just text padding it out to more than 132 bytes'.repeat(3));
    // 2500 vectors (more than one 2000-vector build chunk), with a NaN in the second chunk.
    const nanRows = Array.from({ length: 2500 }, (_, i) => [i, 1, 2]);
    nanRows[2100][2] = NaN;
    writeFile(dir, 'nan.fvecs', texmexBytes(nanRows, 'f4'));
    const before = listDir(dir);
    const cases: [string[], number, RegExp][] = [
      [['index', 'search', `${dir}/s.vidx`, `${dir}/q3.fvecs`], 1, /q3\.fvecs: queries have dimension 3, the index has 128$/],
      [['index', 'search', `${dir}/s.vidx`, `${SIFT}/siftsmall_query.fvecs`, '-k', '20000'], 2, /^error: -k: must be at most 10000, got 20000$/],
      [['index', 'search', `${dir}/s.vidx`, `${SIFT}/siftsmall_query.fvecs`, '-k', '50', '--ef', '10'], 2, /^error: --ef 10: must be at least k \(50\)$/],
      [['index', 'search', `${dir}/s.vidx`, `${SIFT}/siftsmall_query.fvecs`, '-k', '0'], 2, /^error: -k: must be at least 1, got 0$/],
      [['index', 'search', `${dir}/missing.vidx`, `${SIFT}/siftsmall_query.fvecs`], 2, /missing\.vidx: no such file$/],
      [['index', 'search', `${dir}/junk.vidx`, `${SIFT}/siftsmall_query.fvecs`], 1, /junk\.vidx: not a vectro index \(bad magic\)$/],
      [
        ['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/x.vidx`, '--metric', 'hamming'],
        2,
        /--metric: expected one of l2, ip, cosine, got 'hamming'/,
      ],
      [
        ['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/x.vidx`, '--storage', 'int4'],
        2,
        /^error: --storage: expected one of f32, int8, binary, rabitq1, .*, rabitq8, got 'int4'$/,
      ],
      [
        ['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/x.vidx`, '--keep-vectors'],
        2,
        /^error: --keep-vectors: applies to --storage int8, binary or rabitq1..8/,
      ],
      [
        ['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/x.vidx`, '--type', 'flat', '--storage', 'int8'],
        2,
        /^error: --storage int8: flat indexes store f32 vectors/,
      ],
      [
        ['index', 'search', `${dir}/s.vidx`, `${SIFT}/siftsmall_query.fvecs`, '--rerank', '40'],
        2,
        /^error: --rerank 40: .*s\.vidx measures exact float32 distances already \(hnsw, f32\)$/,
      ],
      [['index', 'search', `${dir}/s.vidx`, `${SIFT}/siftsmall_query.fvecs`, '-k', '10', '--rerank', '5'], 2, /^error: --rerank 5: must be at least k \(10\)$/],
      [['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/x.idx`], 2, /indexes are written as \.vidx$/],
      [['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/x.vidx`, '--m', '1'], 2, /--m: must be at least 2, got 1$/],
      [['index', 'build', `${dir}/nan.fvecs`, '-o', `${dir}/x.vidx`], 1, /nan\.fvecs: vector 2100, dimension 2 is NaN \(indexes from 0\)/],
    ];
    expectCliErrors(cases);
    assert.deepEqual(listDir(dir), before);
  });
});

test('readIndex reports the header of a flat file', async () => {
  const dir = tempDir();
  const index = FlatIndex.create({ dim: 2, metric: 'cosine', backend: 'js' });
  index.add(Float32Array.of(1, 0, 0, 1, 1, 1));
  await index.save(`${dir}/f.vidx`);
  const d = await readIndex(`${dir}/f.vidx`);
  assert.deepEqual([d.type, d.metric, d.count, d.dim, d.m, Array.from(d.vectors)], ['flat', 'cosine', 3, 2, 0, [1, 0, 0, 1, 1, 1]]);
});

describe('Promise versions: off the main thread, with progress', () => {
  const backends = native.ok ? (['native', 'js'] as const) : (['js'] as const);
  for (const backend of backends) {
    test(`${backend}: addAsync builds what add builds, reports progress; searchAsync matches search`, async () => {
      const base = (await readAll(`${SIFT}/siftsmall_base.fvecs`)).subarray(0, (backend === 'js' ? 2000 : 10_000) * 128);
      const queries = await readAll(`${SIFT}/siftsmall_query.fvecs`);
      const sync = HnswIndex.create({ dim: 128, m: 8, efConstruction: 40, seed: 5, backend });
      sync.add(base);
      const async = HnswIndex.create({ dim: 128, m: 8, efConstruction: 40, seed: 5, backend });
      const progress: number[] = [];
      await async.addAsync(base, { onProgress: (done, total) => progress.push(done / total) });
      assert.equal(progress.at(-1), 1);
      assert.ok(
        progress.every((p, i) => i === 0 || p > progress[i - 1]),
        'progress only grows',
      );
      const bytes = (d: ReturnType<HnswIndex['toData']>) =>
        [d.vectors, d.codes, d.scales, d.levels, d.links0, d.upper].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex'));
      assert.deepEqual(bytes(async.toData()), bytes(sync.toData()), 'one thread, same order: same index');
      const [a, b] = [await async.searchAsync(queries, 10, { ef: 32 }), sync.search(queries, 10, { ef: 32 })];
      assert.deepEqual(a.ids, b.ids);
      assert.equal(a.distanceComputations, b.distanceComputations);
    });
  }

  test('native: the event loop keeps turning during addAsync, and sync calls on the busy index throw', { skip: skipWithoutNative }, async () => {
    const base = await readAll(`${SIFT}/siftsmall_base.fvecs`);
    const index = HnswIndex.create({ dim: 128, efConstruction: 400 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let busy: Error | undefined;
    const adding = index.addAsync(base);
    while (!busy) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      try {
        void index.count;
      } catch (err) {
        busy = err as Error;
      }
      if (ticks > 2000) break;
    }
    await adding;
    clearInterval(timer);
    assert.match(busy?.message ?? 'never busy', /the index is busy with an async add or search; await it/);
    assert.ok(ticks >= 3, `the timer fired ${ticks} times during the add`);
    assert.equal(index.count, 10_000);
  });
});
