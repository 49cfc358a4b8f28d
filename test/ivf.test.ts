import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { FlatIndex } from '../src/index/flat.js';
import { encodeInt8 } from '../src/backends/js/int8.js';
import { writeIndex } from '../src/index/format.js';
import { IvfIndex } from '../src/index/ivf.js';
import { loadIndex } from '../src/index/load.js';
import { readTruthFile } from '../src/formats/truth.js';
import { recallAtK } from '../src/index/recall.js';
import { ROOT, cli, expectCliErrors, listDir, readAllVectors, skipWithoutNative, tempDir, texmexBytes, writeFile } from './helpers.js';

const SIFT = `${ROOT}/fixtures/siftsmall`;

async function siftsmall() {
  return {
    base: await readAllVectors(`${SIFT}/siftsmall_base.fvecs`),
    queries: await readAllVectors(`${SIFT}/siftsmall_query.fvecs`),
    truth: await readTruthFile(`${SIFT}/siftsmall_groundtruth.ivecs`),
  };
}

describe('IvfIndex', { skip: skipWithoutNative }, () => {
  const dir = tempDir();

  test('siftsmall, f32 lists: every list probed is exact search; fewer lists trade recall; files are deterministic', async () => {
    const { base, queries, truth } = await siftsmall();
    const steps: number[] = [];
    const index = IvfIndex.create({ dim: 128, nlist: 32, seed: 3 });
    await index.addAsync(base, { threads: 2, onTrainStep: (s) => steps.push(s.objective) });
    assert.equal(steps.length, 10);
    assert.ok(
      steps.every((o, i) => i === 0 || o <= steps[i - 1] * (1 + 1e-6)),
      `k-means objective never rises: ${steps}`,
    );
    assert.equal(index.count, 10_000);

    const all = index.search(queries, 10, { nprobe: 32 });
    const flat = FlatIndex.create({ dim: 128, backend: 'native' });
    flat.add(base);
    const exact = flat.search(queries, 10);
    assert.deepEqual(all.distances, exact.distances, 'all lists: the exact distances');
    assert.equal(recallAtK(all.ids, truth, 10), recallAtK(exact.ids, truth, 10));
    // The batch path scores f32 lists with the matrix kernel, then measures k + 16 exactly: the same answer, more computations.
    const batch = index.search(queries, 10, { nprobe: 32, batch: true });
    assert.deepEqual([batch.ids, batch.distances], [all.ids, all.distances], 'the batch path finds the same');

    const few = index.search(queries, 10, { nprobe: 4 });
    const r4 = recallAtK(few.ids, truth, 10);
    assert.ok(r4 >= 0.85 && r4 < 1, `nprobe 4: recall ${r4}`);
    assert.ok(few.distanceComputations < all.distanceComputations / 4);

    await index.save(`${dir}/a.vidx`);
    const { index: back } = await loadIndex(`${dir}/a.vidx`);
    assert.deepEqual(back.search(queries, 10, { nprobe: 4 }), few);
    const again = IvfIndex.create({ dim: 128, nlist: 32, seed: 3 });
    await again.addAsync(base, { threads: 1 });
    await again.save(`${dir}/b.vidx`);
    assert.ok(readFileSync(`${dir}/a.vidx`).equals(readFileSync(`${dir}/b.vidx`)), 'same input and seed, same bytes, on any thread count');
  });

  test('siftsmall, rabitq lists with rerank on kept vectors reach the exact neighbours', async () => {
    const { base, queries, truth } = await siftsmall();
    for (const [storage, rerank, floor] of [
      ['rabitq4', 20, 0.95],
      ['rabitq1', 100, 0.95],
    ] as const) {
      const index = IvfIndex.create({ dim: 128, nlist: 32, storage, keepVectors: true });
      await index.addAsync(base, { threads: 2 });
      const estimated = recallAtK(index.search(queries, 10, { nprobe: 8 }).ids, truth, 10);
      const reranked = index.search(queries, 10, { nprobe: 8, rerank });
      const recall = recallAtK(reranked.ids, truth, 10);
      assert.ok(recall >= floor && recall >= estimated, `${storage}: rerank ${rerank} recall ${recall}, estimates alone ${estimated}`);
      assert.deepEqual(index.search(queries, 10, { nprobe: 8, rerank, batch: true, threads: 2 }).ids, reranked.ids);
      await index.save(`${dir}/${storage}.vidx`);
      const { index: back } = await loadIndex(`${dir}/${storage}.vidx`);
      assert.deepEqual(back.search(queries, 10, { nprobe: 8, rerank }), reranked);
    }
  });

  test('arguments are checked before native code runs', async () => {
    assert.throws(() => IvfIndex.create({ dim: 4, nlist: 0 }), /nlist must be a whole number of at least 1/);
    assert.throws(() => IvfIndex.create({ dim: 4, nlist: 2, storage: 'binary' as never }), /unknown IVF storage 'binary'/);
    const index = IvfIndex.create({ dim: 4, nlist: 8 });
    await assert.rejects(index.train(new Float32Array(4 * 5)), /nlist \(8\) must not exceed the number of vectors \(5\)/);
    assert.throws(() => index.add(new Float32Array(4)), /not trained/);
    await index.addAsync(Float32Array.from({ length: 400 }, (_, i) => Math.sin(i)));
    assert.throws(() => index.search(new Float32Array(4), 1, { nprobe: 9 }), /nprobe must lie between 1 and nlist \(8\), got 9/);
    assert.throws(() => index.search(new Float32Array(4), 1, { rerank: 5 }), /an f32 index measures exactly already/);
    assert.throws(() => index.search(new Float32Array(3), 1), /not whole vectors of dimension 4/);
    assert.throws(() => index.search(Float32Array.of(1, 2, NaN, 4), 1), /NaN or infinite/);
  });
});

describe('IvfIndex: the TypeScript baseline', () => {
  const dir = tempDir();

  test('trains, lists and encodes the same bits as native, and finds the same with every list probed', { skip: skipWithoutNative }, async () => {
    // siftsmall's values are whole numbers, so float32 distances are exact on both backends.
    const base = (await readAllVectors(`${SIFT}/siftsmall_base.fvecs`)).subarray(0, 3000 * 128);
    const queries = (await readAllVectors(`${SIFT}/siftsmall_query.fvecs`)).subarray(0, 20 * 128);
    const cases = [
      ['f32', 'l2', 0],
      ['rabitq4', 'l2', 20],
      ['rabitq1', 'cosine', 40],
      ['rabitq2', 'ip', 0],
      ['int8', 'l2', 0],
      ['int8', 'l2', 20],
      ['int8', 'cosine', 20],
    ] as const;
    for (const [storage, metric, rerank] of cases) {
      const built = await Promise.all(
        (['native', 'js'] as const).map(async (backend) => {
          const index = IvfIndex.create({ dim: 128, metric, nlist: 12, storage, keepVectors: rerank > 0, seed: 5, backend });
          await index.addAsync(base.subarray(0, 1000 * 128));
          index.add(base.subarray(1000 * 128));
          await index.save(`${dir}/${storage}-${metric}-${backend}.vidx`);
          return index;
        }),
      );
      const label = `${storage} ${metric}`;
      assert.deepEqual(
        built.map((i) => i.backend),
        ['native', 'js'],
      );
      assert.ok(readFileSync(`${dir}/${storage}-${metric}-native.vidx`).equals(readFileSync(`${dir}/${storage}-${metric}-js.vidx`)), `${label}: the same file`);
      const [a, b] = built.map((i) => i.search(queries, 10, { nprobe: 12, rerank }));
      if (metric === 'l2') assert.deepEqual(b, a, `${label}: every list probed, the same results`);
      else assert.deepEqual(b.ids, a.ids, label);
      const { index: js } = await loadIndex(`${dir}/${storage}-${metric}-native.vidx`, 'js');
      assert.deepEqual(js.search(queries, 10, { nprobe: 12, rerank }), b, `${label}: js reads native's file`);
    }
  });

  test('int8 lists: all probed, the distances are those of the int8 codes; a rerank of every vector is exact search', async () => {
    const { base, queries } = await siftsmall();
    const [x, q] = [base.subarray(0, 2000 * 128), queries.subarray(0, 10 * 128)];
    const index = IvfIndex.create({ dim: 128, nlist: 8, storage: 'int8', keepVectors: true, backend: 'js' });
    await index.addAsync(x);
    // Independently: the codes of the int8 scheme (quant/int8), and l2 between the reconstructions
    // as sa^2 sum(a^2) + sb^2 sum(b^2) - 2 sa sb (a.b), in float64 and rounded once.
    const codes = new Uint8Array(2000 * 128);
    const scales = new Float32Array(2000);
    encodeInt8(x, 128, codes, scales);
    const qc = new Uint8Array(10 * 128);
    const qs = new Float32Array(10);
    encodeInt8(q, 128, qc, qs);
    const [a, b] = [new Int8Array(qc.buffer), new Int8Array(codes.buffer)];
    const found = index.search(q, 5, { nprobe: 8 });
    for (let r = 0; r < 10; r++) {
      const want = Array.from({ length: 2000 }, (_, id) => {
        let [dot, na, nb] = [0, 0, 0];
        for (let i = 0; i < 128; i++) [dot, na, nb] = [dot + a[r * 128 + i] * b[id * 128 + i], na + a[r * 128 + i] ** 2, nb + b[id * 128 + i] ** 2];
        return Math.fround(Math.max(0, qs[r] ** 2 * na + scales[id] ** 2 * nb - 2 * qs[r] * scales[id] * dot));
      }).sort((u, v) => u - v);
      assert.deepEqual([...found.distances.subarray(r * 5, r * 5 + 5)], want.slice(0, 5), `query ${r}`);
    }
    const flat = FlatIndex.create({ dim: 128, backend: 'js' });
    flat.add(x);
    assert.deepEqual(index.search(q, 10, { nprobe: 8, rerank: 2000 }), {
      ...flat.search(q, 10),
      distanceComputations: index.search(q, 10, { nprobe: 8, rerank: 2000 }).distanceComputations,
    });
  });

  test('alone: recall on siftsmall', async () => {
    const { base, queries, truth } = await siftsmall();
    const index = IvfIndex.create({ dim: 128, nlist: 16, storage: 'rabitq4', keepVectors: true, backend: 'js' });
    await index.addAsync(base.subarray(0, 5000 * 128));
    await index.addAsync(base.subarray(5000 * 128));
    const recall = recallAtK(index.search(queries, 10, { nprobe: 6, rerank: 20 }).ids, truth, 10);
    assert.ok(recall >= 0.95, `recall ${recall}`);
  });
});

describe('corrupt IVF files are refused', { skip: skipWithoutNative }, () => {
  const dir = tempDir();
  const good = async () => {
    const index = IvfIndex.create({ dim: 4, nlist: 4, seed: 1 });
    await index.addAsync(Float32Array.from({ length: 400 }, (_, i) => Math.cos(i * 0.7)));
    await index.save(`${dir}/good.vidx`);
    return readFileSync(`${dir}/good.vidx`);
  };
  /** Section offsets of this 100 x 4 f32 file, from docs/format.md: vectors, then centroids, sizes and ids. */
  const align = (n: number) => Math.ceil(n / 64) * 64;
  const centroidsAt = align(128 + 100 * 16);
  const sizesAt = align(centroidsAt + 4 * 16);
  const idsAt = align(sizesAt + 16);
  /** The file checksum made right again (the last 4 bytes). */
  const resealed = (b: Buffer) => (b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4), b);
  /** The directory checksum (header byte 76: header bytes 0..75, centroids, sizes, ids) made right, then the file's. */
  const redirected = (b: Buffer) => {
    const parts = [b.subarray(0, 76), b.subarray(centroidsAt, centroidsAt + 64), b.subarray(sizesAt, sizesAt + 16), b.subarray(idsAt, idsAt + 400)];
    b.writeUInt32LE(
      parts.reduce((crc, p) => crc32(p, crc), 0),
      76,
    );
    return resealed(b);
  };
  // [case, corruption, message, whether a mapped open sees it (it reads the header and directory only)]
  const cases: [string, (b: Buffer) => Buffer, RegExp, boolean][] = [
    ['flipped byte', (b) => ((b[300] ^= 0xff), b), /checksum mismatch: the file is corrupt/, false],
    ['truncated', (b) => b.subarray(0, b.length - 8), /truncated/, true],
    ['nlist 0 in the header', (b) => (b.writeUInt32LE(0, 72), b), /nlist = 0 does not fit an ivf index \(1 to 16,777,216\)/, true],
    [
      'a centroid changed, file checksum fixed',
      (b) => (b.writeFloatLE(0.5, centroidsAt), resealed(b)),
      /directory checksum mismatch: the header, centroids or list directory is corrupt/,
      true,
    ],
    [
      'list sizes that do not add up, checksums fixed',
      (b) => (b.writeUInt32LE(b.readUInt32LE(sizesAt) + 1, sizesAt), redirected(b)),
      /corrupt list directory: the lists hold 101 vectors, the header says 100/,
      true,
    ],
    [
      'an id stored twice, checksums fixed',
      (b) => (b.writeUInt32LE(b.readUInt32LE(idsAt), idsAt + 4), redirected(b)),
      /corrupt list directory: id \d+ is out of range or stored twice/,
      true,
    ],
    ['an id past the end, checksums fixed', (b) => (b.writeUInt32LE(100, idsAt), redirected(b)), /id 100 is out of range/, true],
    [
      'a NaN centroid, checksums fixed',
      (b) => (b.writeFloatLE(NaN, centroidsAt + 8), redirected(b)),
      /centroid 0, dimension 2 is NaN; it must be finite/,
      true,
    ],
  ];
  for (const [name, corrupt, message, mapped] of cases) {
    test(name, async () => {
      const path = writeFile(dir, `${name.replace(/\W+/g, '-')}.vidx`, corrupt(Buffer.from(await good())));
      await assert.rejects(loadIndex(path, 'native'), message);
      if (mapped) await assert.rejects(IvfIndex.open(path, { mmap: true }), message, 'mapped, the same message');
      else assert.equal((await IvfIndex.open(path, { mmap: true })).count, 100, 'a mapped open reads no list: `index verify` is what finds this');
    });
  }
  test('the checksums are what docs/format.md says: redirected() leaves a good file as it is', async () => {
    const b = await good();
    assert.ok(redirected(Buffer.from(b)).equals(b));
  });
});

describe('IvfIndex.open with mmap', { skip: skipWithoutNative }, () => {
  const dir = tempDir();
  test('searches as the loaded index does, single and batch, f32 and rabitq lists; saves the same bytes', async () => {
    const { base, queries } = await siftsmall();
    for (const storage of ['f32', 'int8', 'rabitq4'] as const) {
      const index = IvfIndex.create({ dim: 128, nlist: 16, storage, keepVectors: true, seed: 5 });
      await index.addAsync(base.subarray(0, 4000 * 128));
      const path = `${dir}/${storage}.vidx`;
      await index.save(path);
      const mapped = await IvfIndex.open(path, { mmap: true });
      const loaded = await IvfIndex.open(path);
      assert.deepEqual([mapped.mapped, loaded.mapped, mapped.count, mapped.storage], [true, false, 4000, storage]);
      const rerank = storage === 'rabitq4' ? 30 : 0;
      for (const batch of [false, true])
        assert.deepEqual(mapped.search(queries, 10, { nprobe: 4, rerank, batch }), loaded.search(queries, 10, { nprobe: 4, rerank, batch }));
      await mapped.save(`${dir}/again.vidx`);
      assert.ok(readFileSync(`${dir}/again.vidx`).equals(readFileSync(path)), `${storage}: a mapped index saves the file it maps`);
    }
  });

  test('a file replaced by rename keeps serving the old one; a file changed in place makes the next search an error', async () => {
    const { base, queries } = await siftsmall();
    const index = IvfIndex.create({ dim: 128, nlist: 8, seed: 5 });
    await index.addAsync(base.subarray(0, 2000 * 128));
    const path = `${dir}/live.vidx`;
    await index.save(path);
    const mapped = await IvfIndex.open(path, { mmap: true });
    const before = mapped.search(queries, 5, { nprobe: 2 });
    const other = IvfIndex.create({ dim: 128, nlist: 8, seed: 6 });
    await other.addAsync(base.subarray(2000 * 128, 4000 * 128));
    await other.save(path); // vectro writes a temp file and renames it over the old one
    assert.deepEqual(mapped.search(queries, 5, { nprobe: 2 }), before, 'the mapped inode is untouched');
    const inPlace = await IvfIndex.open(path, { mmap: true });
    appendFileSync(path, Buffer.alloc(64));
    assert.throws(() => inPlace.search(queries, 5, { nprobe: 2 }), /the index file .*live\.vidx changed on disk since it was mapped; open it again/);
  });

  test('the js baseline cannot map; other index types are refused', async () => {
    const index = IvfIndex.create({ dim: 4, nlist: 2, seed: 1 });
    await index.addAsync(Float32Array.from({ length: 80 }, (_, i) => Math.sin(i)));
    await index.save(`${dir}/small.vidx`);
    await assert.rejects(IvfIndex.open(`${dir}/small.vidx`, { mmap: true, backend: 'js' }), /mmap needs the native backend/);
    const flat = FlatIndex.create({ dim: 4, backend: 'native' });
    flat.add(Float32Array.from({ length: 8 }, (_, i) => i));
    await writeIndex(`${dir}/flat.vidx`, flat.toData());
    await assert.rejects(IvfIndex.open(`${dir}/flat.vidx`, { mmap: true }), /is a flat index; only IVF indexes are searched memory-mapped/);
    await assert.rejects(IvfIndex.open(`${dir}/flat.vidx`), /is a flat index, not an IVF one/);
  });
});

describe('vectro index --type ivf, end to end', { skip: skipWithoutNative }, () => {
  const dir = tempDir();
  test('build, info, search with recall', () => {
    const built = cli([
      'index',
      'build',
      `${SIFT}/siftsmall_base.fvecs`,
      '-o',
      `${dir}/s.vidx`,
      '--type',
      'ivf',
      '--nlist',
      '32',
      '--storage',
      'rabitq4',
      '--keep-vectors',
      '--json',
    ]);
    assert.equal(built.code, 0, built.stderr);
    const b = JSON.parse(built.stdout);
    assert.deepEqual([b.type, b.storage, b.keepVectors, b.count, b.nlist], ['ivf', 'rabitq4', true, 10_000, 32]);
    assert.ok(b.listSizes.min > 0 && b.listSizes.max < 10_000 && b.listSizes.empty === 0);
    const info = JSON.parse(cli(['index', 'info', `${dir}/s.vidx`, '--json']).stdout);
    assert.deepEqual(info.listSizes, b.listSizes);
    const s = cli([
      'index',
      'search',
      `${dir}/s.vidx`,
      `${SIFT}/siftsmall_query.fvecs`,
      '--nprobe',
      '8',
      '--rerank',
      '20',
      '--groundtruth',
      `${SIFT}/siftsmall_groundtruth.ivecs`,
      '--json',
    ]);
    assert.equal(s.code, 0, s.stderr);
    const r = JSON.parse(s.stdout);
    assert.equal(r.nprobe, 8);
    assert.ok(r.recall >= 0.95, `recall ${r.recall}`);
    assert.ok(
      ['before', 'loaded', 'searched'].every((k) => r.rss_bytes[k] > 1e6) && r.index_bytes === b.bytes,
      'resident memory and the file size are reported',
    );

    const plain = cli([
      'index',
      'search',
      `${dir}/s.vidx`,
      `${SIFT}/siftsmall_query.fvecs`,
      '--nprobe',
      '8',
      '--rerank',
      '20',
      '-o',
      `${dir}/plain.ivecs`,
      '-q',
    ]);
    const mapped = cli([
      'index',
      'search',
      `${dir}/s.vidx`,
      `${SIFT}/siftsmall_query.fvecs`,
      '--nprobe',
      '8',
      '--rerank',
      '20',
      '-o',
      `${dir}/mapped.ivecs`,
      '--mmap',
      '--cold',
      '--json',
    ]);
    assert.deepEqual([plain.code, mapped.code], [0, 0], plain.stderr + mapped.stderr);
    assert.deepEqual([JSON.parse(mapped.stdout).mmap, JSON.parse(mapped.stdout).cold], [true, true]);
    assert.ok(readFileSync(`${dir}/mapped.ivecs`).equals(readFileSync(`${dir}/plain.ivecs`)), '--mmap finds the same');
  });

  test('index verify: a whole-file check that finds what a mapped search does not read', () => {
    const built = cli(['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/v.vidx`, '--type', 'ivf', '--nlist', '16', '-q']);
    assert.equal(built.code, 0, built.stderr);
    const ok = cli(['index', 'verify', `${dir}/v.vidx`, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).ok, true);
    const bytes = readFileSync(`${dir}/v.vidx`);
    bytes[4096] ^= 0x40; // inside list 0's vectors
    writeFile(dir, 'flipped.vidx', bytes);
    const q = `${SIFT}/siftsmall_query.fvecs`;
    assert.equal(cli(['index', 'search', `${dir}/flipped.vidx`, q, '--mmap', '-q']).code, 0, 'a mapped search reads the list as it is');
    expectCliErrors([[['index', 'verify', `${dir}/flipped.vidx`], 1, /^error: .*flipped\.vidx: checksum mismatch: the file is corrupt$/]]);
  });

  test('bad input: one error line, exit code, nothing left behind', () => {
    const q = `${SIFT}/siftsmall_query.fvecs`;
    writeFile(
      dir,
      'tiny.fvecs',
      texmexBytes(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        'f4',
      ),
    );
    const f32 = cli(['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/f.vidx`, '--type', 'ivf', '--nlist', '16', '-q']);
    assert.equal(f32.code, 0, f32.stderr);
    const hnsw = cli(['index', 'build', `${dir}/tiny.fvecs`, '-o', `${dir}/h.vidx`, '-q']);
    assert.equal(hnsw.code, 0, hnsw.stderr);
    const before = listDir(dir);
    const build = (...args: string[]) => ['index', 'build', `${SIFT}/siftsmall_base.fvecs`, '-o', `${dir}/x.vidx`, '--type', 'ivf', ...args];
    expectCliErrors([
      [build(), 2, /^error: --nlist: required for --type ivf/],
      [build('--nlist', '0'), 2, /^error: --nlist: must be at least 1, got 0$/],
      [
        ['index', 'build', `${dir}/tiny.fvecs`, '-o', `${dir}/x.vidx`, '--type', 'ivf', '--nlist', '4'],
        2,
        /^error: --nlist 4: .*tiny\.fvecs holds 3 vectors; k-means needs at least one per list$/,
      ],
      [build('--nlist', '64', '--train-size', '10'), 2, /^error: --train-size 10: too small for --nlist 64; it needs at least 64 vectors/],
      [build('--nlist', '8', '--storage', 'binary'), 2, /^error: --storage binary: an ivf index stores f32, int8, rabitq1, .*rabitq8$/],
      [['index', 'build', `${dir}/tiny.fvecs`, '-o', `${dir}/x.vidx`, '--nlist', '2'], 2, /^error: --nlist and --train-size: apply to --type ivf$/],
      [['index', 'search', `${dir}/f.vidx`, q, '--nprobe', '17'], 2, /^error: --nprobe 17: .*f\.vidx has 16 lists$/],
      [['index', 'search', `${dir}/f.vidx`, q, '--rerank', '20'], 2, /^error: --rerank 20: .*f\.vidx measures exact float32 distances already \(ivf, f32\)$/],
      [['index', 'search', `${dir}/f.vidx`, q, '--ef', '20'], 2, /^error: --ef: applies to HNSW indexes \(.*f\.vidx is ivf: use --nprobe\)$/],
      [
        ['index', 'search', `${dir}/h.vidx`, `${dir}/tiny.fvecs`, '-k', '1', '--nprobe', '2'],
        2,
        /^error: --nprobe: applies to IVF indexes \(.*h\.vidx is hnsw\)$/,
      ],
      [['index', 'search', `${dir}/h.vidx`, `${dir}/tiny.fvecs`, '-k', '1', '--mmap'], 2, /^error: --mmap: applies to IVF indexes \(.*h\.vidx is hnsw\)$/],
      [['index', 'search', `${dir}/f.vidx`, q, '--cold'], 2, /^error: --cold: applies with --mmap$/],
      [
        ['index', 'search', `${dir}/f.vidx`, q, '--mmap', '--backend', 'js'],
        2,
        /^error: --mmap: needs the native backend \(the js baseline reads the whole index\)$/,
      ],
    ]);
    assert.deepEqual(listDir(dir), before);
  });
});
