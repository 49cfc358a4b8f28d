import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, test } from 'node:test';
import { jsBackend } from '../src/backends/js/index.js';
import { nativeBackend } from '../src/backends/native.js';
import { Rotation } from '../src/backends/js/rotation.js';
import { quantize } from '../src/quant/memory.js';
import { DEFAULT_EPS0, fileParamsFor } from '../src/quant/rabitq.js';
import { RABITQ_NAMES, rabitqPackedBytes, SCHEMES } from '../src/quant/schemes.js';
import { VQ_HEADER_BYTES } from '../src/formats/vq.js';
import { bits, cli, native, randomVectors, SIFTSMALL, skipWithoutNative, tempDir, writeFile, texmexBytes } from './helpers.js';

const reportOf = (args: string[]) => {
  const r = cli(['quantize', ...args, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

describe('rabitq: rotation and estimator (js baseline, independent checks)', () => {
  test('the rotation keeps inner products and inverts, padded or not', () => {
    for (const dim of [1, 64, 100, 200, 768]) {
      const rot = new Rotation(7n, dim);
      const x = Float64Array.from({ length: rot.padded }, (_, i) => Math.sin(i + 1));
      const y = Float64Array.from({ length: rot.padded }, (_, i) => Math.cos(3 * i));
      const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
      const [rx, ry] = [x.slice(), y.slice()];
      rot.apply(rx);
      rot.apply(ry);
      assert.ok(Math.abs(dot(rx, ry) - dot(x, y)) < 1e-9, `dim ${dim}`);
      rot.invert(rx);
      assert.ok(
        rx.every((v, i) => Math.abs(v - x[i]) < 1e-12),
        `inverse at dim ${dim}`,
      );
    }
  });

  test('estimates against exact distances: unbiased, and within eps0 bounds about 94% of the time', () => {
    const dim = 96;
    const x = randomVectors(300, dim, 4);
    for (const name of ['rabitq1', 'rabitq4'] as const) {
      const q = quantize(x, dim, name, { backend: 'js' });
      const queries = x.subarray(0, 10 * dim);
      const dists = new Float32Array(10 * 300);
      const bounds = new Float32Array(10 * 300);
      jsBackend.rabitqEstimate(q.scheme.bits, q.center, dim, queries, true, q.codes, q.params, DEFAULT_EPS0, dists, bounds, 1);
      let [sum, abs, inside, n] = [0, 0, 0, 0];
      for (let i = 0; i < 10; i++) {
        for (let j = 10; j < 300; j++) {
          let exact = 0;
          for (let d = 0; d < dim; d++) exact += (x[i * dim + d] - x[j * dim + d]) ** 2;
          const err = dists[i * 300 + j] - exact;
          sum += err;
          abs += Math.abs(err);
          inside += Math.abs(err) <= bounds[i * 300 + j] ? 1 : 0;
          n++;
        }
      }
      assert.ok(Math.abs(sum / n) < 0.1 * (abs / n), `${name}: mean error ${sum / n} against mean |error| ${abs / n}`);
      assert.ok(inside / n > 0.88 && inside / n < 0.995, `${name}: ${inside / n} inside the bound`);
    }
  });
});

describe('rabitq: native against js', { skip: skipWithoutNative }, () => {
  const nb = native.ok ? nativeBackend(native.addon) : jsBackend;
  test('estimates and bounds are the same bits, l2 and ip, every bit count', () => {
    const dim = 100;
    const x = randomVectors(200, dim, 8);
    const queries = randomVectors(3, dim, 9);
    for (const name of RABITQ_NAMES) {
      const q = quantize(x, dim, name, { backend: 'js' });
      for (const l2 of [true, false]) {
        const run = (b: typeof jsBackend) => {
          const d = new Float32Array(600);
          const e = new Float32Array(600);
          b.rabitqEstimate(q.scheme.bits, q.center, dim, queries, l2, q.codes, q.params, DEFAULT_EPS0, d, e, 2);
          return [bits(d), bits(e)];
        };
        assert.deepEqual(run(nb), run(jsBackend), `${name} l2=${l2}`);
      }
    }
  });

  test('bad arguments are refused by both', () => {
    const q = quantize(randomVectors(4, 8, 1), 8, 'rabitq2', { backend: 'js' });
    for (const b of [nb, jsBackend]) {
      assert.throws(
        () => b.rabitqEstimate(9, q.center, 8, new Float32Array(8), true, q.codes, q.params, 1.9, new Float32Array(4), new Float32Array(4), 1),
        /bits must be (1 to 8|a whole number from 0 to 8)/,
      );
      assert.throws(
        () => b.rabitqEstimate(2, q.center, 8, new Float32Array(8), true, q.codes, q.params, 1.9, new Float32Array(3), new Float32Array(4), 1),
        /queries x rows/,
      );
      assert.throws(
        () => b.rabitqEstimate(2, q.center.subarray(1), 8, new Float32Array(8), true, q.codes, q.params, 1.9, new Float32Array(4), new Float32Array(4), 1),
        /rabitq parameters hold/,
      );
    }
  });
});

describe('rabitq FastScan: packed codes give the row-major estimates', () => {
  const backends = native.ok ? [jsBackend, nativeBackend(native.addon)] : [jsBackend];

  test('the packed layout, checked nibble by nibble against its description (js)', () => {
    // rabitq1 at dim 64: 8 bytes a row; 33 rows make two blocks, the second padded with zeros.
    const rows = 33;
    const codes = Uint8Array.from({ length: rows * 8 }, (_, i) => (i * 37 + 11) % 256);
    const packed = new Uint8Array(rabitqPackedBytes(1, 64, rows));
    assert.equal(packed.length, 2 * 8 * 32);
    jsBackend.rabitqPack(1, 64, codes, packed);
    for (let j = 0; j < 64; j++) {
      for (let r = 0; r < 8; r++) {
        const reg = (Math.floor(j / 32) * 8 + r) * 32;
        const shift = j % 32 < 16 ? 0 : 4;
        const want = j < rows ? codes[j * 8 + r] : 0;
        assert.equal((packed[reg + (j % 16)] >> shift) & 15, want & 15, `row ${j} register ${r} low`);
        assert.equal((packed[reg + 16 + (j % 16)] >> shift) & 15, want >> 4, `row ${j} register ${r} high`);
      }
    }
  });

  test('every bit count, odd dims and partial blocks: the same bits as rabitqEstimate, on each backend and across them', () => {
    for (const [dim, rows] of [
      [100, 70],
      [7, 32],
      [200, 5],
    ] as const) {
      const x = randomVectors(rows, dim, dim);
      const queries = randomVectors(2, dim, dim + 1);
      for (const name of RABITQ_NAMES) {
        const q = quantize(x, dim, name, { backend: 'js' });
        const bitsOf = q.scheme.bits;
        for (const l2 of [true, false]) {
          const d0 = new Float32Array(2 * rows);
          const e0 = new Float32Array(2 * rows);
          jsBackend.rabitqEstimate(bitsOf, q.center, dim, queries, l2, q.codes, q.params, DEFAULT_EPS0, d0, e0, 1);
          for (const b of backends) {
            const packed = new Uint8Array(rabitqPackedBytes(bitsOf, dim, rows));
            b.rabitqPack(bitsOf, dim, q.codes, packed);
            const d = new Float32Array(2 * rows);
            const e = new Float32Array(2 * rows);
            b.rabitqScan(bitsOf, q.center, dim, queries, l2, packed, q.params, DEFAULT_EPS0, d, e, 2);
            assert.deepEqual(bits(d), bits(d0), `${b.name} ${name} dim ${dim} l2=${l2}`);
            assert.deepEqual(bits(e), bits(e0), `${b.name} ${name} bounds`);
          }
        }
      }
    }
  });

  test('bad sizes are refused by both', () => {
    const q = quantize(randomVectors(4, 8, 1), 8, 'rabitq2', { backend: 'js' });
    const packed = new Uint8Array(rabitqPackedBytes(2, 8, 4));
    for (const b of backends) {
      assert.throws(() => b.rabitqPack(2, 8, q.codes.subarray(1), packed), /not whole rows/);
      assert.throws(() => b.rabitqPack(2, 8, q.codes, packed.subarray(1)), /packed output holds/);
      b.rabitqPack(2, 8, q.codes, packed);
      const out = () => new Float32Array(4);
      assert.throws(() => b.rabitqScan(2, q.center, 8, new Float32Array(8), true, packed.subarray(32), q.params, 1.9, out(), out(), 1), /code bytes/);
      assert.throws(() => b.rabitqScan(2, q.center, 8, new Float32Array(8), true, packed, q.params.subarray(1), 1.9, out(), out(), 1), /code bytes/);
      assert.throws(() => b.rabitqScan(2, q.center, 8, new Float32Array(7), true, packed, q.params, 1.9, out(), out(), 1), /whole vectors/);
      assert.throws(() => b.rabitqScan(2, q.center, 0, new Float32Array(8), true, packed, q.params, 1.9, out(), out(), 1), /dim/);
    }
  });
});

describe('vectro quantize with rabitq', () => {
  test('native and js write the same .vq file, and dequantize reconstructs it', { skip: skipWithoutNative }, () => {
    const dir = tempDir();
    const a = reportOf([SIFTSMALL, '-o', `${dir}/n.vq`, '--scheme', 'rabitq', '--bits', '3', '--backend', 'native', '--no-search-report']);
    reportOf([SIFTSMALL, '-o', `${dir}/j.vq`, '--scheme', 'rabitq3', '--backend', 'js', '--no-search-report']);
    assert.equal(a.scheme, 'rabitq3');
    assert.equal(a.searchReport, null);
    assert.deepEqual(readFileSync(`${dir}/n.vq`), readFileSync(`${dir}/j.vq`));
    assert.equal(cli(['dequantize', `${dir}/n.vq`, '-o', `${dir}/r.fvecs`, '--quiet']).code, 0);
    const info = JSON.parse(cli(['inspect', `${dir}/n.vq`, '--json']).stdout);
    assert.deepEqual([info.scheme, info.bits, info.metric, info.paddedDim], ['rabitq3', 3, 'l2', 128]);
    assert.match(info.rotation, /seed 42/);
  });

  test('the search report: every scheme, rabitq1 beats binary at every rerank, more bits recall more', () => {
    const dir = tempDir();
    const recalls: Record<string, number[]> = {};
    for (const scheme of ['int8', 'int4', 'int2', 'binary', 'rabitq1', 'rabitq2', 'rabitq4']) {
      const r = reportOf([SIFTSMALL, '-o', `${dir}/${scheme}.vq`, '--scheme', scheme]);
      const s = r.searchReport;
      assert.equal(s.queries, 100);
      assert.deepEqual(
        s.recallAt10.map((x: { rerank: number }) => x.rerank),
        [0, 20, 50, 100],
      );
      assert.ok(s.pairs > 99_000 && s.meanRelativeDistanceError > 0 && s.p99RelativeDistanceError >= s.meanRelativeDistanceError, scheme);
      recalls[scheme] = s.recallAt10.map((x: { recall: number }) => x.recall);
      for (let i = 1; i < 4; i++) assert.ok(recalls[scheme][i] >= recalls[scheme][i - 1], `${scheme}: deeper rerank recalls less`);
    }
    for (let i = 0; i < 4; i++) {
      assert.ok(recalls.rabitq1[i] > recalls.binary[i], `rerank ${i}: rabitq1 ${recalls.rabitq1[i]} vs binary ${recalls.binary[i]}`);
      assert.ok(recalls.rabitq2[i] >= recalls.rabitq1[i] && recalls.rabitq4[i] >= recalls.rabitq2[i], `rerank ${i}`);
    }
    assert.ok(recalls.rabitq4[0] > 0.85 && recalls.int8[0] > 0.95, JSON.stringify(recalls));
  });

  test('cosine normalises before encoding: the reconstruction is of unit vectors', () => {
    const dir = tempDir();
    const r = reportOf([SIFTSMALL, '-o', `${dir}/c.vq`, '--scheme', 'rabitq8', '--metric', 'cosine', '--backend', 'js', '--no-search-report']);
    assert.equal(r.metric, 'cosine');
    assert.ok(r.maxAbsError < 0.01, `max abs error ${r.maxAbsError} of unit vectors`);
  });

  test('bad input: one error line, exit 2 or 1, nothing left behind', () => {
    const dir = tempDir();
    const cases: [string[], number, RegExp][] = [
      [['--scheme', 'rabitq', '--bits', '0'], 2, /--bits: must be at least 1/],
      [['--scheme', 'rabitq', '--bits', '9'], 2, /--bits: must be at most 8/],
      [['--scheme', 'int8', '--bits', '4'], 2, /--bits: only with --scheme rabitq/],
      [['--scheme', 'rabitq4', '--metric', 'hamming'], 2, /--metric: expected one of l2, ip, cosine/],
    ];
    for (const [args, code, message] of cases) {
      const r = cli(['quantize', SIFTSMALL, '-o', `${dir}/out.vq`, ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    const nan = writeFile(
      dir,
      'nan.fvecs',
      texmexBytes(
        [
          [1, 2, 3],
          [4, NaN, 6],
        ],
        'f4',
      ),
    );
    const r = cli(['quantize', nan, '-o', `${dir}/nan.vq`, '--scheme', 'rabitq2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*nan\.fvecs: vector 1, dimension 1 is NaN/);
  });

  test('a rabitq file whose rotation words or center are wrong is refused, even under a valid checksum', () => {
    const dir = tempDir();
    reportOf([SIFTSMALL, '-o', `${dir}/ok.vq`, '--scheme', 'rabitq2', '--no-search-report']);
    const good = readFileSync(`${dir}/ok.vq`);
    const cases: [number, number, RegExp][] = [
      [0, 5, /unknown rotation kind 5/],
      [1, 7, /unknown metric id 7/],
      [4, 256, /padded dimension 256 does not match dim 128/],
      [6, 1, /reserved rotation words are not zero/],
      [8, 0x7fc00000, /center's dimension 0 is NaN/],
    ];
    for (const [word, value, message] of cases) {
      const bad = Buffer.from(good);
      bad.writeUInt32LE(value, VQ_HEADER_BYTES + 4 * word);
      bad.writeUInt32LE(crc32(bad.subarray(0, bad.length - 4)), bad.length - 4);
      writeFileSync(`${dir}/bad.vq`, bad);
      for (const cmd of [
        ['inspect', `${dir}/bad.vq`],
        ['dequantize', `${dir}/bad.vq`, '-o', `${dir}/bad.fvecs`],
      ]) {
        const r = cli(cmd);
        assert.equal(r.code, 1, `${cmd[0]} word ${word}: ${r.stderr}`);
        assert.match(r.stderr, message);
      }
    }
  });
});

describe('the in-memory API', () => {
  test('quantize(x, dim, "rabitq4") carries its block, and the block checks its own size', () => {
    const x = randomVectors(50, 20, 3);
    const q = quantize(x, 20, 'rabitq4', { backend: 'js' });
    assert.equal(q.center.length, 8 + 20);
    assert.equal(q.codes.length, 50 * 32);
    assert.throws(
      () =>
        fileParamsFor(SCHEMES.rabitq4, new Float32Array(20)).subarray(1).length &&
        jsBackend.decode(SCHEMES.rabitq4, q.codes, q.params, q.center.subarray(1), 20, new Float32Array(1000), 1),
      /center holds 27 floats/,
    );
  });
});
