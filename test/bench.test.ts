import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compareRuns } from '../src/bench/compare.js';
import { benchFileSchema, type BenchFile, type BenchResult } from '../src/bench/schema.js';
import { measure } from '../src/bench/runner.js';
import { countOutliers, median, summarize } from '../src/bench/stats.js';
import { SUITES } from '../src/bench/suites/index.js';
import { cli, cliSpawn, listDir, native, tempDir, expectCliErrors } from './helpers.js';

describe('statistics', () => {
  test('median, mean, stddev, min and max of the throughput', () => {
    // Work 10 per run; times 1, 2, 2, 4 s -> rates 10, 5, 5, 2.5.
    const s = summarize([1, 2, 2, 4], 10);
    assert.deepEqual([s.median, s.mean, s.min, s.max, s.runs], [5, 5.625, 2.5, 10, 4]);
    assert.ok(Math.abs(s.stddev - Math.sqrt(((10 - 5.625) ** 2 + 2 * (5 - 5.625) ** 2 + (2.5 - 5.625) ** 2) / 3)) < 1e-12);
    assert.equal(median([3, 1, 2]), 2);
  });

  test('outliers by median absolute deviation', () => {
    assert.equal(countOutliers([10, 10.1, 9.9, 10.05, 9.95, 30]), 1);
    assert.equal(countOutliers([10, 10, 10]), 0, 'no spread, no outliers');
  });

  test('noisy and first-run-slow flags', () => {
    assert.equal(summarize([1, 1.01, 0.99, 1], 1).noisy, false);
    assert.equal(summarize([1, 2, 1, 1], 1).noisy, true);
    assert.equal(summarize([3, 1, 1.02, 0.98], 1).firstRunSlow, true);
    assert.equal(summarize([1.1, 1, 1.02, 0.98], 1).firstRunSlow, false);
  });
});

test("a self-timed run counts its own seconds; any other return value is the run's business", async () => {
  const limits = { warmup: 1, minRuns: 3, minSeconds: 0, maxSeconds: 5 };
  const c = { name: 'x', unit: 'queries/s' as const, work: 10 };
  const own = await measure('s', c, () => ({ ownSeconds: 0.5 }), 'faiss', limits, null);
  assert.equal(own.median, 20, '10 units in the 0.5 s it reported, not the microseconds the call took');
  const kernel = await measure('s', c, () => -1, 'native', limits, null);
  assert.ok(kernel.median > 1000, 'a kernel returning -1 (no bad row) is timed by the clock');
});

describe('suites declare stable, unique case names', () => {
  for (const size of ['quick', 'default', 'full'] as const) {
    test(size, () => {
      for (const suite of SUITES) {
        const names = suite.cases({ size, threads: 2, seed: 1 }).map((c) => c.name);
        assert.equal(new Set(names).size, names.length, `${suite.name} has duplicate case names`);
        assert.ok(names.length > 0);
      }
    });
  }
  test("the issue's named cases exist", () => {
    const names = (suite: string) =>
      SUITES.find((s) => s.name === suite)!
        .cases({ size: 'default', threads: 2, seed: 1 })
        .map((c) => c.name);
    assert.ok(names('quantize').includes('int8.encode 10000x128'));
    assert.ok(names('quantize').includes('copy 1000000x128'));
    assert.ok(names('distance').includes('l2sq.f32 one-to-many 768'));
    assert.ok(names('distance').includes('hamming.binary one-to-many 1536'));
    assert.ok(names('matrix').includes('manhattan 1000x10000x128'));
    assert.deepEqual(names('topk'), ['k=10 of 1000000', 'k=100 of 1000000']);
  });
});

describe('vectro bench, end to end', () => {
  const dir = tempDir();
  let quick: BenchFile;

  test('--quick with every export: tables, valid JSON, Markdown, CSV', () => {
    const r = cli(['bench', '--quick', 'quantize', 'topk', '--json', `${dir}/a.json`, '--markdown', `${dir}/a.md`, '--csv', `${dir}/a.csv`]);
    assert.equal(r.code, 0, r.stderr);
    quick = benchFileSchema.parse(JSON.parse(readFileSync(`${dir}/a.json`, 'utf8')));
    const backends = native.ok ? ['native', 'js'] : ['js'];
    assert.deepEqual([...new Set(quick.results.map((x) => x.backend))].sort(), [...backends].sort());
    assert.deepEqual([...new Set(quick.results.map((x) => x.suite))], ['quantize', 'topk']);
    assert.ok(quick.results.every((x) => x.median > 0 && x.min <= x.median && x.median <= x.max && x.runs >= 2));
    assert.equal(quick.machine.size, 'quick');
    assert.equal(quick.machine.seed, 42);
    assert.match(r.stdout, /quantize: encode and decode/);
    assert.match(r.stdout, /int8\.encode 1000x128/);
    if (native.ok) assert.match(r.stdout, /native\/js/);
    const md = readFileSync(`${dir}/a.md`, 'utf8');
    assert.match(md, /^# vectro bench/);
    assert.match(md, native.ok ? /\| case \| unit \| native \| js \| native\/js \|/ : /\| case \| unit \| js \|\n/);
    const csv = readFileSync(`${dir}/a.csv`, 'utf8').trim().split('\n');
    assert.equal(csv.length, quick.results.length + 1);
    assert.match(csv[0], /^suite,case,backend,unit,median,mean,stddev,min,max,runs,/);
  });

  test('--json - prints the JSON on stdout and the tables on stderr', () => {
    const r = cli(['bench', '--quick', 'topk', '--backend', 'js', '--json', '-']);
    assert.equal(r.code, 0, r.stderr);
    const file = benchFileSchema.parse(JSON.parse(r.stdout));
    assert.deepEqual(
      file.results.map((x) => [x.case, x.backend]),
      [
        ['k=10 of 100000', 'js'],
        ['k=100 of 100000', 'js'],
      ],
    );
    assert.match(r.stderr, /topk: the k smallest/);
  });

  test('bench compare: ratios and verdicts beyond noise', () => {
    const slower: BenchFile = {
      ...quick,
      results: quick.results.map((x, i) => (i === 0 ? { ...x, median: x.median / 10, min: x.min / 10, max: x.min / 20 } : x)),
    };
    writeFileSync(`${dir}/b.json`, JSON.stringify(slower));
    const r = cli(['bench', 'compare', `${dir}/a.json`, `${dir}/b.json`, '--fail-on-regression']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /0\.10x\s+│ slower/);
    assert.match(r.stdout, /1 slower beyond noise/);
    const same = cli(['bench', 'compare', `${dir}/a.json`, `${dir}/a.json`, '--json']);
    assert.equal(same.code, 0);
    const rows = JSON.parse(same.stdout) as { verdict: string; ratio: number }[];
    assert.ok(rows.every((x) => x.verdict === 'within noise' && x.ratio === 1));
  });

  test('compareRuns pairs by suite, case and backend', () => {
    const base: BenchResult = {
      suite: 's',
      case: 'c',
      backend: 'js',
      unit: 'vec/s',
      median: 10,
      mean: 10,
      stddev: 0,
      min: 9,
      max: 11,
      runs: 5,
      outliers: 0,
      noisy: false,
      first_run_slow: false,
      threads: 1,
    };
    const file = (results: BenchResult[]): BenchFile => ({ machine: quick.machine, results });
    const out = compareRuns(
      file([base, { ...base, case: 'gone' }]),
      file([
        { ...base, median: 20, min: 12, max: 22 },
        { ...base, case: 'new' },
      ]),
    );
    assert.deepEqual(
      out.map((c) => [c.case, c.verdict, c.ratio]),
      [
        ['c', 'faster', 2],
        ['gone', 'only in old', null],
        ['new', 'only in new', null],
      ],
    );
  });

  test('bad options and files: one error line, exit 2 or 1', () => {
    const cases: [string[], number, RegExp][] = [
      [
        ['bench', 'nosuch'],
        2,
        /^error: unknown suite 'nosuch' \(suites: quantize, distance, matrix, topk, scan, hnsw-build, hnsw-search, ivf-build, ivf-search\)$/,
      ],
      [['bench', '--backend', 'gpu'], 2, /^error: --backend: unknown backend 'gpu' \(backends: native, js, hnswlib, usearch, faiss\)$/],
      [['bench', '--quick', '--full'], 2, /^error: --quick and --full: choose one$/],
      [['bench', '--dim', '0'], 2, /^error: --dim: must be at least 1, got 0$/],
      [['bench', '--runs', 'x'], 2, /^error: --runs: expected a whole number from 2 to 1000000 in decimal digits, got 'x'$/],
      [['bench', 'compare', `${dir}/missing.json`, `${dir}/a.json`], 2, /missing\.json: no such file$/],
      [['bench', 'compare', `${dir}/a.md`, `${dir}/a.json`], 1, /a\.md: not valid JSON/],
      [['bench', 'compare', `${dir}/a.csv`.replace('a.csv', 'bad.json'), `${dir}/a.json`], 1, /bad\.json: not a vectro bench result file: machine: /],
    ];
    writeFileSync(`${dir}/bad.json`, '{"results": []}');
    expectCliErrors(cases);
  });

  test('Ctrl-C stops cleanly and keeps what was measured', async () => {
    const sub = tempDir();
    const child = cliSpawn(['bench', 'distance', '--backend', 'js', '--count', '20000', '--min-time', '0.3', '--json', `${sub}/partial.json`]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => child.on('exit', (c) => r(c)));
    while (!existsSync(`${sub}/partial.json`) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    const kept = benchFileSchema.parse(JSON.parse(readFileSync(`${sub}/partial.json`, 'utf8')));
    assert.ok(kept.results.length >= 1);
    assert.ok(kept.results.length < 42, 'it stopped before the end');
    assert.match(stderr, /results kept in .*partial\.json\nerror: interrupted\n$/);
    assert.deepEqual(listDir(sub), ['partial.json'], 'no temp files left');
  });
});

describe('index suites', () => {
  test('hnsw-build and hnsw-search: results carry threads, index bytes, ef and recall', () => {
    const r = cli(['bench', 'hnsw-build', 'hnsw-search', '--quick', '--count', '2000', '--backend', native.ok ? 'native,js' : 'js', '--json', '-']);
    assert.equal(r.code, 0, r.stderr);
    const file = benchFileSchema.parse(JSON.parse(r.stdout));
    const builds = file.results.filter((x) => x.suite === 'hnsw-build');
    assert.ok(builds.length >= 1);
    for (const b of builds) {
      assert.equal(b.case, `build 2000x128 threads=${b.threads}`);
      // native-int8 reports the index without its kept vectors: int8 codes, scales and the graph.
      const perVector = b.backend === 'native-int8' ? 128 : 128 * 4;
      assert.ok(b.index_bytes! > 2000 * perVector, `${b.backend}: the index holds at least its codes`);
      assert.equal(b.runs, 1);
    }
    assert.deepEqual([...new Set(builds.map((b) => b.backend))].sort(), native.ok ? ['js', 'native', 'native-int8'] : ['js'], 'native-int8 runs with native');
    if (native.ok) {
      const bytes = (backend: string) => builds.find((b) => b.backend === backend && b.threads === 1)!.index_bytes!;
      assert.ok(bytes('native-int8') < 0.35 * bytes('native'), 'int8 index under 0.35x the f32 one');
    }
    const searches = file.results.filter((x) => x.suite === 'hnsw-search');
    assert.deepEqual([...new Set(searches.map((x) => x.ef))], [16, 32, 64, 96, 128, 256]);
    for (const s of searches) {
      assert.equal(s.unit, 'queries/s');
      assert.ok(s.recall! > 0.5 && s.recall! <= 1, `${s.case} ${s.backend}: recall ${s.recall}`);
    }
    const at = (ef: number) => searches.find((x) => x.ef === ef && x.backend === searches[0].backend)!.recall!;
    assert.ok(at(256) >= at(16), 'recall grows with ef');
  });

  test('ivf-build and ivf-search: native-int8 and native-rabitq4 run with native; recall grows with nprobe; native and js agree', {
    skip: native.ok ? false : 'native addon not loaded',
  }, () => {
    const r = cli(['bench', 'ivf-build', 'ivf-search', '--quick', '--count', '2000', '--backend', 'native,js', '--json', '-']);
    assert.equal(r.code, 0, r.stderr);
    const file = benchFileSchema.parse(JSON.parse(r.stdout));
    const builds = file.results.filter((x) => x.suite === 'ivf-build');
    assert.deepEqual([...new Set(builds.map((b) => b.backend))].sort(), ['js', 'native', 'native-int8', 'native-rabitq4']);
    for (const b of builds) assert.ok(b.index_bytes! > 2000 * 4, `${b.backend}: the index holds at least its ids`);
    const searches = file.results.filter((x) => x.suite === 'ivf-search' && !x.case.startsWith('batch'));
    const recall = (backend: string, nprobe: number) => searches.find((x) => x.backend === backend && x.nprobe === nprobe)!.recall!;
    assert.deepEqual([...new Set(searches.map((x) => x.nprobe))], [1, 2, 4, 8, 16, 32]);
    for (const backend of ['native', 'js', 'native-int8', 'native-rabitq4'])
      assert.ok(recall(backend, 32) >= recall(backend, 1) && recall(backend, 32) > 0.9, backend);
    // The same k-means lists on both backends; only the probe order's float32 near-ties may differ.
    for (const nprobe of [1, 4, 16]) assert.ok(Math.abs(recall('js', nprobe) - recall('native', nprobe)) <= 0.02, `nprobe ${nprobe}`);
    const batch = file.results.filter((x) => x.case.startsWith('batch'));
    assert.ok(batch.length >= 2 && batch.every((x) => x.nprobe === 16 && x.recall! > 0.9 && x.backend !== 'js'));
  });

  test('an unknown or missing peer is named', () => {
    const r = cli(['bench', 'hnsw-build', '--backend', 'annoy']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --backend: unknown backend 'annoy' \(backends: native, js, hnswlib, usearch, faiss\)$/m);
  });
});
