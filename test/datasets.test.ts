import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import h5wasm from 'h5wasm/node';
import { KNOWN_DATASETS } from '../src/datasets/registry.js';
import { cliAsync, listDir, readAllVectors, ROOT, tempDir } from './helpers.js';

const FIXTURE = join(ROOT, 'fixtures', 'siftsmall');
const NAMES = ['siftsmall_base.fvecs', 'siftsmall_query.fvecs', 'siftsmall_groundtruth.ivecs'];
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A TEXMEX-style archive (siftsmall/…) of `dir`, made with the system tar, not vectro's code. */
function tarGz(dir: string, out: string): Buffer {
  execFileSync('tar', ['czf', out, '-C', dir, 'siftsmall']);
  return readFileSync(out);
}

/** An ann-benchmarks-style HDF5 file of siftsmall, written with h5wasm. */
async function hdf5Of(out: string): Promise<Buffer> {
  await h5wasm.ready;
  const f = new h5wasm.File(out, 'w');
  const rows = (name: string) => {
    const b = readFileSync(join(FIXTURE, name));
    const dim = b.readInt32LE(0);
    const n = b.length / (4 + 4 * dim);
    const words = new Int32Array(n * dim);
    for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) words[r * dim + j] = b.readInt32LE(r * (4 + 4 * dim) + 4 + 4 * j);
    return { words, n, dim };
  };
  for (const [name, file, float] of [
    ['train', NAMES[0], true],
    ['test', NAMES[1], true],
    ['neighbors', NAMES[2], false],
  ] as const) {
    const { words, n, dim } = rows(file);
    f.create_dataset({ name, data: float ? new Float32Array(words.buffer) : words, shape: [n, dim] });
  }
  f.create_attribute('distance', 'euclidean');
  f.close();
  return readFileSync(out);
}

describe('vectro datasets download (against a local HTTP server)', () => {
  const work = tempDir();
  const files = new Map<string, Buffer>();
  const log: { path: string; range?: string }[] = [];
  let server: Server;
  let base = '';
  let cutOnce = true;

  before(async () => {
    const good = join(work, 'good');
    mkdirSync(join(good, 'siftsmall'), { recursive: true });
    for (const n of NAMES) copyFileSync(join(FIXTURE, n), join(good, 'siftsmall', n));
    files.set('/siftsmall.tar.gz', tarGz(good, join(work, 'good.tar.gz')));
    // The same archive with one query value changed: its digest no longer matches.
    const bad = join(work, 'bad');
    mkdirSync(join(bad, 'siftsmall'), { recursive: true });
    for (const n of NAMES) copyFileSync(join(FIXTURE, n), join(bad, 'siftsmall', n));
    const q = readFileSync(join(bad, 'siftsmall', NAMES[1]));
    q.writeFloatLE(q.readFloatLE(8) + 1, 8);
    writeFileSync(join(bad, 'siftsmall', NAMES[1]), q);
    files.set('/tampered.tar.gz', tarGz(bad, join(work, 'bad.tar.gz')));
    files.set('/siftsmall.hdf5', await hdf5Of(join(work, 'siftsmall.hdf5')));
    server = createServer((req, res) => {
      const path = req.url ?? '';
      log.push({ path, range: req.headers.range });
      if (path === '/broken.tar.gz') return res.writeHead(500, 'Internal Server Error').end();
      const name = path === '/cut.tar.gz' ? '/siftsmall.tar.gz' : path;
      const body = files.get(name);
      if (!body) return res.writeHead(404).end();
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(from > 0 ? 206 : 200, { 'content-length': body.length - from });
      if (path === '/cut.tar.gz' && cutOnce) {
        // The first transfer breaks halfway: the client must keep the part and resume from it.
        cutOnce = false;
        res.write(body.subarray(0, body.length >> 1));
        setTimeout(() => res.destroy(), 50);
        return;
      }
      res.end(body.subarray(from));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const freshCache = () => {
    const dir = join(work, `cache-${log.length}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    return dir;
  };
  const download = (cache: string, ...urls: string[]) =>
    cliAsync(['datasets', 'download', 'siftsmall', '--url', ...urls.map((u) => base + u)], { VECTRO_DATA_DIR: cache });

  test('downloads, unpacks and checks every file against the published digests', async () => {
    const cache = freshCache();
    const r = await download(cache, '/siftsmall.tar.gz');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /matches the published digest/);
    assert.deepEqual(listDir(join(cache, 'siftsmall')), [...NAMES, 'vectro-dataset.json'].sort());
    const published = KNOWN_DATASETS.find((d) => d.name === 'siftsmall')!.files;
    for (const f of Object.values(published)) assert.equal(sha256(readFileSync(join(cache, 'siftsmall', f.name))), f.sha256);
    assert.deepEqual(listDir(join(cache, 'downloads')), [], 'the archive is removed once unpacked');
    const list = await cliAsync(['datasets', 'list', '--json'], { VECTRO_DATA_DIR: cache });
    assert.equal(JSON.parse(list.stdout).datasets.find((d: { name: string }) => d.name === 'siftsmall').status, 'in the cache');
    const again = await download(cache, '/siftsmall.tar.gz');
    assert.match(again.stdout, /already in the cache/);
  });

  test('an interrupted download is resumed from where it broke', async () => {
    const cache = freshCache();
    const first = await download(cache, '/cut.tar.gz');
    assert.equal(first.code, 1);
    assert.match(first.stderr, /^error: could not download siftsmall: .*connection broke after \d+ of \d+ bytes.*run again to resume/);
    assert.ok(!existsSync(join(cache, 'siftsmall')), 'no dataset from half a download');
    const part = readdirSync(join(cache, 'downloads'));
    assert.deepEqual(part, ['siftsmall-cut.tar.gz.part']);
    const second = await download(cache, '/cut.tar.gz');
    assert.equal(second.code, 0, second.stderr);
    const resumed = log.filter((l) => l.path === '/cut.tar.gz').at(-1)!;
    assert.match(resumed.range ?? '', /^bytes=\d+-$/);
    assert.ok(Number(resumed.range!.slice(6, -1)) > 0);
    assert.equal(sha256(readFileSync(join(cache, 'siftsmall', NAMES[0]))), sha256(readFileSync(join(FIXTURE, NAMES[0]))));
  });

  test('a file whose digest is wrong is refused, and nothing is kept', async () => {
    const cache = freshCache();
    const r = await download(cache, '/tampered.tar.gz');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*siftsmall_query\.fvecs does not match its published digest .*run again to fetch it afresh\n$/);
    assert.deepEqual(listDir(cache), ['downloads']);
    assert.deepEqual(listDir(join(cache, 'downloads')), []);
  });

  test('a server error is reported; the next source is tried', async () => {
    const cache = freshCache();
    const r = await download(cache, '/broken.tar.gz');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: could not download siftsmall: http:\/\/127\.0\.0\.1:\d+\/broken\.tar\.gz: the server answered 500 Internal Server Error\. Without network: .*pass --data DIR to `vectro recall siftsmall`\n$/,
    );
    assert.ok(!existsSync(join(cache, 'siftsmall')));
    const fallback = await download(cache, '/broken.tar.gz', '/siftsmall.tar.gz');
    assert.equal(fallback.code, 0, fallback.stderr);
    assert.match(fallback.stdout, /note: .*answered 500.*used the next source/);
  });

  test('an ann-benchmarks HDF5 mirror is converted to the same, verified files', async () => {
    const cache = freshCache();
    const r = await cliAsync(['datasets', 'download', 'siftsmall', '--url', `${base}/siftsmall.hdf5`, '--json'], { VECTRO_DATA_DIR: cache });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.files.map((f: { verified: boolean }) => f.verified),
      [true, true, true],
    );
    for (const n of NAMES) assert.deepEqual(readFileSync(join(cache, 'siftsmall', n)), readFileSync(join(FIXTURE, n)));
  });

  test('offline, it fails at once and says where to put the files', async () => {
    const cache = freshCache();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const started = performance.now();
    const r = await cliAsync(['datasets', 'download', 'siftsmall', '--url', `http://127.0.0.1:${port}/siftsmall.tar.gz`], { VECTRO_DATA_DIR: cache });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: could not download siftsmall: .*ECONNREFUSED.*put siftsmall_base\.fvecs, siftsmall_query\.fvecs, siftsmall_groundtruth\.ivecs in a folder and pass --data DIR to `vectro recall siftsmall`\n$/,
    );
    assert.ok(performance.now() - started < 10_000);
  });

  test('bad requests are refused before any transfer', async () => {
    const cache = freshCache();
    for (const [args, message] of [
      [['datasets', 'download', 'glove'], /^error: unknown dataset 'glove' \(known: siftsmall, sift1m\)$/],
      [['datasets', 'download', 'synthetic'], /^error: unknown dataset 'synthetic': synthetic data is generated, not downloaded/],
      [['datasets', 'download', 'siftsmall', '--url', 'http://127.0.0.1:1/x.zip'], /^error: --url .*x\.zip: expected a \.tar\.gz \(TEXMEX\) or \.hdf5/],
    ] as const) {
      const r = await cliAsync([...args], { VECTRO_DATA_DIR: cache });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr.trim(), message);
    }
    assert.deepEqual(listDir(cache), []);
  });
});

test('fixture siftsmall matches the published digests', async () => {
  const published = KNOWN_DATASETS.find((d) => d.name === 'siftsmall')!.files;
  for (const f of Object.values(published)) assert.equal(sha256(readFileSync(join(FIXTURE, f.name))), f.sha256);
  assert.equal((await readAllVectors(join(FIXTURE, NAMES[0]))).length, 10_000 * 128);
});
