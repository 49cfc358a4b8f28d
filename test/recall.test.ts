import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import h5wasm from 'h5wasm/node';
import { syntheticGenerator } from '../src/datasets/synthetic.js';
import { RecallJudge } from '../src/recall/measure.js';
import { paretoFrontier, qpsAtRecall } from '../src/recall/pareto.js';
import { renderRecallSvg } from '../src/recall/plot.js';
import { recallFileSchema, type RecallFile } from '../src/recall/schema.js';
import { formatSpec, parseSpec } from '../src/spec.js';
import { bigAnnBytes, cli, cliSpawn, expectCliErrors, listDir, readAllVectors, ROOT, skipWithoutNative, tempDir, writeFile } from './helpers.js';

describe('configuration specs', () => {
  test('parse to every parameter, and print back canonically', () => {
    assert.deepEqual(parseSpec('flat'), { type: 'flat', m: 0, efConstruction: 0, storage: 'f32', keep: false, rerank: 0 });
    assert.deepEqual(parseSpec('hnsw'), { type: 'hnsw', m: 16, efConstruction: 200, storage: 'f32', keep: false, rerank: 0 });
    assert.deepEqual(parseSpec(' hnsw, storage=int8 ,rerank=100,m=8,efc=64'), {
      type: 'hnsw',
      m: 8,
      efConstruction: 64,
      storage: 'int8',
      keep: true,
      rerank: 100,
    });
    for (const spec of ['flat', 'hnsw,m=16,efc=200,storage=f32', 'hnsw,m=32,efc=400,storage=binary,rerank=500']) {
      assert.equal(formatSpec(parseSpec(spec)), spec);
    }
    assert.equal(formatSpec(parseSpec('hnsw,rerank=20,storage=int8')), 'hnsw,m=16,efc=200,storage=int8,rerank=20');
    // FAISS factory strings keep their own commas; vectro's lower-case keys come out in a fixed order.
    assert.deepEqual(parseSpec('faiss:IVF1024,RaBitQfs4,refine=5'), {
      type: 'faiss',
      m: 0,
      efConstruction: 0,
      storage: 'f32',
      keep: false,
      rerank: 0,
      factory: 'IVF1024,RaBitQfs4',
      refine: 5,
    });
    assert.equal(formatSpec(parseSpec('faiss:refine=10,IVF1024,PQ64x4fs')), 'faiss:IVF1024,PQ64x4fs,refine=10');
    assert.equal(formatSpec(parseSpec('faiss:HNSW16,efc=200')), 'faiss:HNSW16,efc=200');
    assert.deepEqual(parseSpec('ivf,nlist=64'), { type: 'ivf', m: 0, efConstruction: 0, nlist: 64, storage: 'f32', keep: false, rerank: 0 });
    assert.equal(formatSpec(parseSpec('ivf,rerank=50,storage=rabitq4,nlist=4096')), 'ivf,nlist=4096,storage=rabitq4,rerank=50');
  });

  test('mistakes name the spec and the rule', () => {
    const bad: [string, RegExp][] = [
      ['pq', /^--configs 'pq': unknown index type 'pq' \(flat, hnsw, ivf, or faiss:FACTORY\)$/],
      ['ivf', /^--configs 'ivf': ivf needs nlist=N/],
      ['ivf,nlist=0', /nlist: must be at least 1, got 0/],
      ['ivf,nlist=8,storage=binary', /storage: an ivf index stores f32, int8, rabitq1, .*, rabitq8, got 'binary'/],
      ['ivf,nlist=8,rerank=20', /rerank: only int8 and rabitq storage rerank/],
      ['ivf,nlist=8,m=16', /unknown parameter 'm' \(ivf takes nlist, storage, keep, rerank\)/],
      ['flat,m=4', /flat \(exact search\) takes no parameters/],
      ['hnsw,m=1', /m: must be at least 2/],
      ['hnsw,m=x', /m: expected a whole number/],
      ['hnsw,ef=10', /unknown parameter 'ef' \(hnsw takes m, efc, storage, keep, rerank\)/],
      ['hnsw,storage=pq', /storage: expected one of f32, int8, binary, rabitq1, .*, rabitq8, got 'pq'/],
      ['hnsw,rerank=10', /rerank: only int8, binary and rabitq storage rerank/],
      ['hnsw,m=8,m=9', /m is given twice/],
      ['hnsw,m', /expected key=value, got 'm'/],
    ];
    for (const [spec, message] of bad) assert.throws(() => parseSpec(spec), { message }, spec);
  });
});

describe('Pareto frontier', () => {
  const p = (recall: number, qps: number, ef: number) => ({ recall, qps, ef });
  test('keeps only the points nothing beats on both recall and QPS', () => {
    const points = [p(0.8, 1000, 16), p(0.9, 1200, 32), p(0.95, 600, 64), p(0.94, 500, 128), p(0.99, 100, 256)];
    assert.deepEqual(paretoFrontier(points), [p(0.9, 1200, 32), p(0.95, 600, 64), p(0.99, 100, 256)]);
  });
  test('QPS at a recall is the fastest point reaching it, or none', () => {
    const points = [p(0.85, 1000, 16), p(0.92, 700, 32), p(0.97, 300, 64)];
    assert.deepEqual(qpsAtRecall(points, 0.9), p(0.92, 700, 32));
    assert.deepEqual(qpsAtRecall(points, 0.95), p(0.97, 300, 64));
    assert.equal(qpsAtRecall(points, 0.99), undefined);
    assert.deepEqual(qpsAtRecall(points, 0.97), p(0.97, 300, 64), 'reaching exactly counts');
  });
});

describe('recall as ann-benchmarks counts it', () => {
  // Base on a line: distances to the query at 0 are exactly 0, 1, 1, 2, 3, ... (vectors 1 and 2 tie).
  const dim = 2;
  const base = Float32Array.from([0, 0, 1, 0, 0, 1, 2, 0, 3, 0, 4, 0]);
  const query = Float32Array.from([0, 0]);
  const truth = Int32Array.from([0, 1, 2, 3, 4, 5]);
  const judge = new RecallJudge('l2', base, query, dim, truth, 6, 2);

  test('a tie with the k-th true neighbour counts, whichever id', () => {
    assert.equal(judge.score(Uint32Array.from([0, 2]), 2).get(2), 1);
    assert.equal(judge.score(Uint32Array.from([0, 1]), 2).get(2), 1);
  });
  test('farther than the k-th true distance (plus 1e-3) does not; order within the top r does not matter', () => {
    assert.equal(judge.score(Uint32Array.from([0, 3]), 2).get(2), 0.5);
    assert.equal(judge.score(Uint32Array.from([3, 0]), 2).get(2), 0.5);
    assert.equal(judge.score(Uint32Array.from([3, 0]), 2).get(1), 0);
    assert.equal(judge.score(Uint32Array.from([4294967295, 0]), 2).get(2), 0.5, 'a missing result is a miss');
  });
  test('reports recall@1 and @k (k permitting)', () => {
    assert.deepEqual(judge.levels, [1, 2]);
    assert.deepEqual(new RecallJudge('l2', base, query, dim, truth, 6, 10).levels, [1, 6]);
  });
  test('the tolerance is on the euclidean distance (1e-3), not the squared one', () => {
    // Vector at distance 1 + 5e-4 of the query counts against a true distance of exactly 1.
    const b = Float32Array.from([0, 0, 1, 0, 1.0005, 0, 1.01, 0]);
    const j = new RecallJudge('l2', b, query, dim, Int32Array.from([0, 1, 2, 3]), 4, 2);
    assert.equal(j.score(Uint32Array.from([0, 2]), 2).get(2), 1);
    assert.equal(j.score(Uint32Array.from([0, 3]), 2).get(2), 0.5);
  });
});

test('the synthetic generator is seeded, SIFT-like (whole numbers 0..255) and differs by seed', () => {
  const draw = (seed: number) => {
    const g = syntheticGenerator(16, seed);
    const base = new Float32Array(500 * 16);
    const queries = new Float32Array(20 * 16);
    g.base(base);
    g.queries(queries);
    return { base, queries };
  };
  const a = draw(7);
  const b = draw(7);
  assert.deepEqual(a.base, b.base);
  assert.deepEqual(a.queries, b.queries);
  assert.notDeepEqual(draw(8).base, a.base);
  assert.notDeepEqual(a.queries, a.base.subarray(0, a.queries.length), 'queries come from their own stream');
  assert.ok(a.base.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
  assert.ok(a.base.some((v) => v === 0) && a.base.some((v) => v > 50));
});

const readJson = (path: string): RecallFile => recallFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));

/** Exact k nearest by brute force in float64, independent of vectro's search code. */
function bruteForce(base: Float32Array, queries: Float32Array, dim: number, k: number): number[][] {
  const n = base.length / dim;
  return Array.from({ length: queries.length / dim }, (_, q) => {
    const d = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (base[i * dim + j] - queries[q * dim + j]) ** 2;
      return [s, i];
    });
    return d
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .slice(0, k)
      .map((x) => x[1]);
  });
}

describe('vectro recall, end to end', { skip: skipWithoutNative }, () => {
  const dir = tempDir();
  const cache = join(dir, 'cache');

  test('siftsmall (bundled): JSON, CSV, Markdown and SVG exports from one run', () => {
    const out = join(dir, 'out');
    mkdirSync(out);
    const r = cli(
      [
        'recall',
        '--configs',
        'flat',
        'hnsw,m=8,efc=40',
        'hnsw,m=8,efc=40,storage=int8,rerank=20',
        '--ef',
        '10,16,64',
        '--queries',
        '40',
        '--json',
        join(out, 'r.json'),
        '--csv',
        join(out, 'r.csv'),
        '--markdown',
        join(out, 'r.md'),
        '--plot',
        join(out, 'r.svg'),
      ],
      { VECTRO_DATA_DIR: cache },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listDir(out), ['r.csv', 'r.json', 'r.md', 'r.svg']);
    const f = readJson(join(out, 'r.json'));
    const { difficulty, ...dataset } = f.dataset;
    assert.deepEqual(dataset, { name: 'siftsmall', metric: 'l2', count: 10_000, dim: 128, queries: 40, k: 10, truth: 'file' });
    // Measured on all 100 of siftsmall's queries, as in shared/guide/datasets.md (RC 3.16, LID 15.6 / 14.4).
    assert.deepEqual(
      [difficulty!.queries, difficulty!.relative_contrast.toFixed(2), difficulty!.lid_20.toFixed(1), difficulty!.lid_100!.toFixed(1)],
      [100, '3.16', '15.6', '14.4'],
    );
    assert.deepEqual(
      f.builds.map((b) => b.config),
      ['flat', 'hnsw,m=8,efc=40,storage=f32', 'hnsw,m=8,efc=40,storage=int8,rerank=20'],
    );
    // flat gives one exact point; each HNSW config one point per ef at least k (10, 16, 64).
    assert.deepEqual(
      f.points.map((p) => p.ef),
      [null, 10, 16, 64, 10, 16, 64],
    );
    const flat = f.points[0];
    assert.equal(flat.recall, 1);
    assert.equal(flat.recall_1, 1);
    assert.equal(flat.recall_100, null, 'recall@100 needs k >= 100');
    assert.equal(flat.distances_per_query, 10_000);
    const hnsw = f.points.filter((p) => p.config.startsWith('hnsw,m=8,efc=40,storage=f32'));
    for (const p of hnsw) assert.ok(p.recall > 0.5 && p.recall <= 1 && p.qps > 0 && p.p50_ms <= p.p95_ms && p.p95_ms <= p.p99_ms);
    assert.ok(hnsw[2].recall >= hnsw[0].recall, 'a wider search does not lose recall');
    assert.ok(hnsw[2].distances_per_query! > hnsw[0].distances_per_query!);
    const int8 = f.builds[2];
    assert.ok(int8.index_bytes > f.builds[1].index_bytes, 'int8 with kept vectors stores codes on top of the floats');
    const csv = readFileSync(join(out, 'r.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 1 + f.points.length);
    assert.match(csv[0], /^config,backend,k,ef,recall,recall_1,recall_10,recall_100,qps,timed_queries,batch_qps,/);
    assert.match(csv[1], /^flat,native,10,,1,1,1,,/);
    const md = readFileSync(join(out, 'r.md'), 'utf8');
    assert.match(md, /## Summary\n\n\| config \| backend \| QPS @ recall@10 0\.90 \|/);
    assert.match(md, /\| flat \| native \| [\d.]+k? \| /);
    assert.match(md, /\ndifficulty: relative contrast 3\.16, LID 15\.6 \(k=20; median 13\.9\), 14\.4 \(k=100\), over 100 queries/);
    assert.match(csv[0], /,dataset,relative_contrast,lid_20,cpu,/);
    const svg = readFileSync(join(out, 'r.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<g><title>/g) ?? []).length, 3, 'a line per configuration and backend');
    assert.match(svg, /recall@10 against queries per second/);
    assert.match(r.stdout, /summary: the best one-thread QPS reaching each recall@10/);
  });

  test('sift1m --data DIR takes the TEXMEX file names from a folder', () => {
    const data = join(dir, 'sift');
    mkdirSync(data);
    for (const [from, to] of [
      ['siftsmall_base.fvecs', 'sift_base.fvecs'],
      ['siftsmall_query.fvecs', 'sift_query.fvecs'],
      ['siftsmall_groundtruth.ivecs', 'sift_groundtruth.ivecs'],
    ]) {
      copyFileSync(join(ROOT, 'fixtures', 'siftsmall', from), join(data, to));
    }
    const out = join(dir, 'sift.json');
    const r = cli(['recall', 'sift1m', '--data', data, '--configs', 'flat', '--queries', '5', '--json', out], { VECTRO_DATA_DIR: cache });
    assert.equal(r.code, 0, r.stderr);
    const { difficulty: _, ...dataset } = readJson(out).dataset;
    assert.deepEqual(dataset, { name: 'sift1m', metric: 'l2', count: 10_000, dim: 128, queries: 5, k: 10, truth: 'file' });
  });

  test('hnswlib-node and usearch join the ef sweep, each searching at the ef asked', () => {
    const out = join(dir, 'peers.json');
    const r = cli(
      [
        'recall',
        '--configs',
        'hnsw,m=8,efc=40',
        'hnsw,m=8,efc=40,storage=int8,rerank=20',
        '--backend',
        'native,hnswlib,usearch',
        '--ef',
        '10,200',
        '--queries',
        '40',
        '--threads',
        '1',
        '--json',
        out,
      ],
      { VECTRO_DATA_DIR: cache },
    );
    assert.equal(r.code, 0, r.stderr);
    const f = readJson(out);
    const f32 = 'hnsw,m=8,efc=40,storage=f32';
    assert.deepEqual(
      f.builds.map((b) => [b.config, b.backend, b.threads]),
      [
        [f32, 'native', 1],
        [f32, 'hnswlib', 1],
        [f32, 'usearch', 1],
        ['hnsw,m=8,efc=40,storage=int8,rerank=20', 'native', 1],
      ],
    );
    for (const backend of ['hnswlib', 'usearch']) {
      const [narrow, wide] = f.points.filter((p) => p.backend === backend);
      assert.deepEqual([narrow.ef, wide.ef], [10, 200]);
      // usearch is made with a search width of 64: a wider ef must reach it, and a narrower one too.
      assert.ok(wide.recall > narrow.recall, `${backend}: ef 200 (${wide.recall}) beats ef 10 (${narrow.recall})`);
      assert.ok(wide.recall >= 0.97, `${backend}: ${wide.recall}`);
    }
    assert.ok(f.builds.find((b) => b.backend === 'usearch')!.index_bytes > 10_000 * 128 * 4, 'usearch saves its float32 vectors');
    assert.equal(f.points.find((p) => p.backend === 'usearch')!.batch_qps! > 0, true, 'usearch answers batches');
  });

  test('usearch measures the metric asked (cosine on the hard synthetic preset)', () => {
    const out = join(dir, 'usearch-cosine.json');
    const r = cli(
      [
        'recall',
        'synthetic',
        '--preset',
        'hard',
        '--n',
        '3000',
        '--queries',
        '50',
        '--configs',
        'hnsw,m=16,efc=100',
        '--backend',
        'usearch',
        '--ef',
        '200',
        '--json',
        out,
      ],
      { VECTRO_DATA_DIR: cache },
    );
    assert.equal(r.code, 0, r.stderr);
    const [point] = readJson(out).points;
    assert.ok(point.recall >= 0.97, `recall@10 ${point.recall}`);
  });

  test('the js backend and native agree on exact search', () => {
    const out = join(dir, 'js.json');
    const r = cli(['recall', '--configs', 'flat', '--backend', 'native,js', '--queries', '20', '-k', '100', '--json', out], { VECTRO_DATA_DIR: cache });
    assert.equal(r.code, 0, r.stderr);
    const f = readJson(out);
    assert.deepEqual(
      f.points.map((p) => [p.backend, p.recall, p.recall_1, p.recall_10, p.recall_100]),
      [
        ['native', 1, 1, 1, 1],
        ['js', 1, 1, 1, 1],
      ],
    );
    assert.equal(f.points[1].batch_threads, 1, 'the js baseline searches a batch on one thread');
  });

  test('a big-ann folder without ground truth: vectro computes it once and caches it', () => {
    const data = join(dir, 'bigann');
    mkdirSync(data);
    const g = syntheticGenerator(8, 3);
    const base = new Float32Array(300 * 8);
    const queries = new Float32Array(12 * 8);
    g.base(base);
    g.queries(queries);
    const rows = (x: Float32Array) => Array.from({ length: x.length / 8 }, (_, i) => Array.from(x.subarray(i * 8, (i + 1) * 8)));
    writeFile(data, 'base.fbin', bigAnnBytes(rows(base), 'f4'));
    writeFile(data, 'query.fbin', bigAnnBytes(rows(queries), 'f4'));
    const out = join(dir, 'bigann.json');
    const r = cli(['recall', data, '--configs', 'flat', '-k', '5', '--json', out], { VECTRO_DATA_DIR: cache });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readJson(out).dataset.truth, 'computed');
    assert.equal(readJson(out).points[0].recall, 1);
    const cached = readdirSync(join(cache, 'groundtruth'));
    assert.equal(cached.length, 1);
    // The cached truth is the exact neighbours, checked against brute force (ties broken by id).
    const ids = readFileSync(join(cache, 'groundtruth', cached[0]));
    const width = ids.readInt32LE(0);
    const expected = bruteForce(base, queries, 8, width);
    for (let q = 0; q < 12; q++) {
      const row = Array.from({ length: width }, (_, j) => ids.readInt32LE(q * (width + 1) * 4 + 4 + 4 * j));
      assert.deepEqual(row.slice(0, 5), expected[q].slice(0, 5), `query ${q}`);
    }
    const again = cli(['recall', data, '--configs', 'flat', '-k', '5'], { VECTRO_DATA_DIR: cache });
    assert.doesNotMatch(again.stderr + again.stdout, /computing the ground truth/);
    assert.match(again.stdout, /true neighbours computed by exact search/);
  });

  test('an ann-benchmarks HDF5 file is a dataset (train, test, neighbors, distance)', async () => {
    await h5wasm.ready;
    const path = join(dir, 'tiny-angular.hdf5');
    const g = syntheticGenerator(8, 5);
    const base = new Float32Array(200 * 8);
    const queries = new Float32Array(10 * 8);
    g.base(base);
    g.queries(queries);
    const f = new h5wasm.File(path, 'w');
    f.create_dataset({ name: 'train', data: base, shape: [200, 8] });
    f.create_dataset({ name: 'test', data: queries, shape: [10, 8] });
    f.create_dataset({ name: 'neighbors', data: Int32Array.from(bruteForce(base, queries, 8, 10).flat()), shape: [10, 10] });
    f.create_attribute('distance', 'euclidean');
    f.close();
    const out = join(dir, 'h5.json');
    const r = cli(['recall', path, '--configs', 'flat', 'hnsw,m=8,efc=32', '--ef', '32', '--json', out], { VECTRO_DATA_DIR: cache });
    assert.equal(r.code, 0, r.stderr);
    const res = readJson(out);
    assert.deepEqual([res.dataset.name, res.dataset.metric, res.dataset.count, res.dataset.truth], ['tiny-angular', 'l2', 200, 'file']);
    assert.equal(res.points[0].recall, 1);
  });

  test('synthetic: generated once into the cache, with exact ground truth', async () => {
    const r = cli(['recall', 'synthetic', '--n', '2000', '--dim', '16', '--queries', '15', '--configs', 'flat', '-q'], { VECTRO_DATA_DIR: cache });
    assert.equal(r.code, 0, r.stderr);
    const folder = join(cache, 'synthetic-2000x16-q15-seed42');
    assert.deepEqual(listDir(folder), ['synthetic_base.fbin', 'synthetic_groundtruth.ivecs', 'synthetic_query.fbin', 'vectro-dataset.json']);
    const base = await readAllVectors(join(folder, 'synthetic_base.fbin'));
    const queries = await readAllVectors(join(folder, 'synthetic_query.fbin'));
    const g = syntheticGenerator(16, 42);
    const expected = new Float32Array(2000 * 16);
    g.base(expected);
    assert.deepEqual(base, expected);
    const truth = readFileSync(join(folder, 'synthetic_groundtruth.ivecs'));
    const brute = bruteForce(base, queries, 16, 10);
    for (let q = 0; q < 15; q++) {
      const row = Array.from({ length: 10 }, (_, j) => truth.readInt32LE(q * 101 * 4 + 4 + 4 * j));
      assert.deepEqual(new Set(row), new Set(brute[q]), `query ${q}`);
    }
    const sum = createHash('sha256')
      .update(readFileSync(join(folder, 'synthetic_base.fbin')))
      .digest('hex');
    const manifest = JSON.parse(readFileSync(join(folder, 'vectro-dataset.json'), 'utf8'));
    assert.equal(manifest.files[0].sha256, sum);
    const list = cli(['datasets', 'list', '--json'], { VECTRO_DATA_DIR: cache });
    assert.ok(
      JSON.parse(list.stdout).datasets.some((d: { name: string; status: string }) => d.name === 'synthetic-2000x16-q15-seed42' && d.status === 'generated'),
    );
  });

  test('Ctrl-C stops the run, keeps the points measured so far, and exits 130', async () => {
    const out = join(dir, 'partial.json');
    const child = cliSpawn(['recall', '--configs', 'hnsw,m=8,efc=40', 'hnsw', 'hnsw,m=32', '--ef', '16,32,64,128,256,512,1024,2048', '--json', out]);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started = Date.now();
    while (!(existsSync(out) && readJson(out).points.length > 0)) {
      if (Date.now() - started > 60_000) throw new Error('no point measured in 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const f = readJson(out);
    assert.ok(f.points.length > 0 && f.points.length < 24, `${f.points.length} points`);
    assert.ok(!readdirSync(dir).some((n) => n.includes('vectro-tmp')), 'no temporary files left');
  });
});

test('vectro recall refuses bad input with one line, before any work', () => {
  const dir = tempDir();
  const cache = join(dir, 'cache');
  const outputs = join(dir, 'o.json');
  const emptyFolder = join(dir, 'empty');
  mkdirSync(emptyFolder);
  writeFileSync(join(emptyFolder, 'notes.txt'), 'x');
  process.env.VECTRO_DATA_DIR = cache;
  try {
    expectCliErrors([
      [['recall', 'nope', '--json', outputs], 2, /^error: nope: not a known dataset \(siftsmall, sift1m, synthetic\), a dataset folder or an HDF5 file$/],
      [
        ['recall', 'sift1m', '--json', outputs],
        2,
        /^error: sift1m is not in the cache \(.*\): run `vectro datasets download sift1m`, or put sift_base\.fvecs, sift_query\.fvecs and sift_groundtruth\.ivecs in a folder and pass --data DIR$/,
      ],
      [['recall', 'sift1m', '--data', emptyFolder, '--json', outputs], 2, /^error: --data .*: no sift_base\.fvecs or sift_query\.fvecs in /],
      [['recall', emptyFolder, '--json', outputs], 2, /^error: .*empty: no base vectors found; a dataset folder holds \*_base\.fvecs/],
      [['recall', '--configs', 'hnsw,m=1', '--json', outputs], 2, /^error: --configs 'hnsw,m=1': m: must be at least 2, got 1$/],
      [['recall', '--configs', 'flat', 'flat', '--json', outputs], 2, /^error: --configs: 'flat' is given twice$/],
      [['recall', '--ef', '16,abc', '--json', outputs], 2, /^error: --ef: expected a comma-separated list of whole numbers/],
      [['recall', '--backend', 'annoy', '--json', outputs], 2, /^error: --backend: unknown backend 'annoy' \(backends: native, js, hnswlib, usearch, faiss\)$/],
      [['recall', '--plot', join(dir, 'plot.png')], 2, /^error: --plot .*plot\.png: the plot is written as \.svg$/],
      [['recall', '-k', '0', '--json', outputs], 2, /^error: -k: must be at least 1, got 0$/],
      [['recall', '--n', '10', '--json', outputs], 2, /^error: --n, --dim and --preset are for the synthetic dataset$/],
      [['recall', '--preset', 'hard', '--json', outputs], 2, /^error: --n, --dim and --preset are for the synthetic dataset$/],
      [['recall', 'synthetic', '--preset', 'easy', '--json', outputs], 2, /^error: --preset: expected one of sift, hard, got 'easy'$/],
      [
        ['recall', 'synthetic', '--preset', 'hard', '--metric', 'l2', '--json', outputs],
        2,
        /^error: --metric: the hard synthetic dataset is measured with cosine$/,
      ],
      [['recall', '--nprobe', '0,4', '--json', outputs], 2, /^error: --nprobe: expected a comma-separated list of whole numbers from 1 to 100000, got '0,4'$/],
      [['recall', '-k', '20000', '--configs', 'flat', '--json', outputs], 2, /^error: -k: must be at most 10000, got 20000$/],
    ]);
  } finally {
    delete process.env.VECTRO_DATA_DIR;
  }
  assert.ok(!existsSync(outputs));
  assert.ok(!existsSync(cache) || readdirSync(cache).length === 0);
});

test('the SVG plot draws each run through its Pareto frontier, inside the axes, with escaped text', () => {
  const point = (config: string, ef: number | null, recall: number, qps: number) => ({
    config,
    backend: 'native',
    k: 10,
    ef,
    recall,
    recall_1: null,
    recall_10: recall,
    recall_100: null,
    qps,
    timed_queries: 100,
    batch_qps: null,
    batch_threads: 1,
    p50_ms: 1,
    p95_ms: 1,
    p99_ms: 1,
    distances_per_query: null,
  });
  const file: RecallFile = {
    machine: {
      cpu: 'cpu',
      cores: 2,
      platform: 'linux-x64',
      simd: 'avx2',
      peak_gflops_per_core: null,
      node: 'v20',
      vectro: '0',
      commit: null,
      date: 'd',
      seed: 1,
      threads: 2,
    },
    dataset: { name: 'a&b<c>', metric: 'l2', count: 100, dim: 4, queries: 10, k: 10, truth: 'file' },
    builds: [],
    points: [
      point('flat', null, 1, 350),
      point('hnsw', 16, 0.82, 52_000),
      point('hnsw', 32, 0.93, 30_000),
      point('hnsw', 64, 0.9, 20_000),
      point('hnsw', 128, 0.99, 9_000),
    ],
  };
  const svg = renderRecallSvg(file);
  assert.match(svg, /a&amp;b&lt;c&gt;: recall@10 against queries per second/);
  const plotted = [...svg.matchAll(/<g><title>([^<]*)<\/title>([\s\S]*?)<\/g>/g)];
  assert.deepEqual(
    plotted.map((m) => m[1]),
    ['flat [native]', 'hnsw [native]'],
  );
  // ef=64 (0.90 at 20k) is beaten by ef=32 (0.93 at 30k): three hnsw points are drawn, not four.
  const hnswMarkers = plotted[1][2].match(/<rect /g) ?? [];
  assert.equal(hnswMarkers.length, 3);
  // Axes: recall from 0.8 to 1, QPS over whole decades 100..100k; every marker inside.
  assert.match(svg, />0\.80<\/text>/);
  assert.match(svg, />100<\/text>/);
  assert.match(svg, />100k<\/text>/);
  for (const m of svg.matchAll(/<(?:circle cx|rect x)="([\d.]+)" (?:cy|y)="([\d.]+)"/g)) {
    if (m[0].includes('rect x="80" y="50"')) continue; // the frame
    const [x, y] = [Number(m[1]), Number(m[2])];
    if (x > 600) continue; // legend
    assert.ok(x >= 75 && x <= 595 && y >= 45 && y <= 475, m[0]);
  }
});
