import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { dequantize, quantize } from '../src/quant/memory.js';
import { VectorReader } from '../src/formats/vectors.js';
import { VERSION } from '../src/version.js';
import { bigAnnBytes, cli, cliSpawn, listDir, native, ROOT, SIFTSMALL, skipWithoutNative, tempDir, texmexBytes, writeFile } from './helpers.js';

const EXAMPLE = `${ROOT}/fixtures/worked-example.fvecs`;
const TIMING_FIELDS = ['seconds', 'vectorsPerSecond', 'output', 'backend', 'simd', 'threads'];

const withoutTiming = (report: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(report)
      .filter(([k]) => !TIMING_FIELDS.includes(k))
      .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? withoutTiming(v as Record<string, unknown>) : v]),
  );

describe('vectro quantize', () => {
  test('the worked example: summary values', () => {
    const dir = tempDir();
    const r = cli(['quantize', EXAMPLE, '-o', `${dir}/ex.vq`, '--json', '--backend', 'js']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout);
    assert.deepEqual(
      { vectors: report.vectors, dim: report.dim, scheme: report.scheme, inputBytes: report.inputBytes, outputBytes: report.outputBytes },
      { vectors: 1, dim: 4, scheme: 'int8', inputBytes: 20, outputBytes: 136 },
    );
    assert.ok(Math.abs(report.meanAbsError - 0.007874) < 1e-6, report.meanAbsError);
    assert.ok(Math.abs(report.maxAbsError - 0.015748) < 1e-6, report.maxAbsError);
    assert.equal(report.compressionRatio, 20 / 136);
  });

  test('prints a summary table with every figure', () => {
    const dir = tempDir();
    const r = cli(['quantize', SIFTSMALL, '-o', `${dir}/s.vq`, '--scheme', 'int4']);
    assert.equal(r.code, 0, r.stderr);
    for (const label of [
      'vectors',
      '10,000',
      'dim',
      '128',
      'scheme',
      'int4',
      'input bytes',
      '5,160,000 bytes',
      'output bytes',
      'compression',
      'time',
      'throughput',
      'vectors/s',
      'mean abs error',
      'max abs error',
      'MSE',
      'mean relative error',
    ]) {
      assert.ok(r.stdout.includes(label), `summary lacks '${label}':\n${r.stdout}`);
    }
  });

  test('--quiet prints nothing, and nothing spins when stderr is not a terminal', () => {
    const dir = tempDir();
    const r = cli(['quantize', SIFTSMALL, '-o', `${dir}/s.vq`, '--quiet']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  });

  test('native and js write byte-identical files and identical reports, every scheme', { skip: skipWithoutNative }, () => {
    const dir = tempDir();
    for (const scheme of ['int8', 'int4', 'int2', 'binary', 'rabitq1', 'rabitq4']) {
      const runs = ['native', 'js'].map((backend) => {
        const out = `${dir}/${scheme}-${backend}.vq`;
        const r = cli(['quantize', SIFTSMALL, '-o', out, '--scheme', scheme, '--backend', backend, '--json']);
        assert.equal(r.code, 0, r.stderr);
        return { bytes: readFileSync(out), report: JSON.parse(r.stdout) };
      });
      assert.ok(runs[0].bytes.equals(runs[1].bytes), `${scheme}: native and js .vq files differ`);
      // The search report's exact distances are float32 sums whose order differs between the
      // backends, so its distance errors agree to a few ulps; its recalls are identical.
      const [a, b] = runs.map((r) => r.report.searchReport);
      for (const field of ['meanRelativeDistanceError', 'p99RelativeDistanceError']) {
        assert.ok(Math.abs(a[field] - b[field]) <= 1e-4 * Math.abs(a[field]), `${scheme} ${field}: ${a[field]} vs ${b[field]}`);
        a[field] = b[field];
      }
      assert.deepEqual(withoutTiming(runs[0].report), withoutTiming(runs[1].report), scheme);
      assert.equal(runs[0].report.backend, 'native');
    }
  });

  test('every SIMD level the CPU has writes the same bytes', { skip: skipWithoutNative }, () => {
    if (!native.ok) return;
    const dir = tempDir();
    for (const scheme of ['int8', 'binary']) {
      const files = native.addon.info().simdSupported.map((level) => {
        const out = `${dir}/${scheme}-${level}.vq`;
        const r = cli(['quantize', SIFTSMALL, '-o', out, '--scheme', scheme, '--backend', 'native', '--quiet'], { VECTRO_SIMD: level });
        assert.equal(r.code, 0, r.stderr);
        return readFileSync(out);
      });
      files.forEach((f, i) => assert.ok(f.equals(files[0]), `${scheme}: level ${i} differs from scalar`));
    }
  });

  test('integer inputs are converted to float32 first', () => {
    const dir = tempDir();
    const rows = [
      [0, 255, 7, 9],
      [128, 1, 64, 3],
    ];
    const a = cli(['quantize', writeFile(dir, 'a.u8bin', bigAnnBytes(rows, 'u1')), '-o', `${dir}/a.vq`, '--quiet']);
    const b = cli(['quantize', writeFile(dir, 'b.fvecs', texmexBytes(rows, 'f4')), '-o', `${dir}/b.vq`, '--quiet']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(readFileSync(`${dir}/a.vq`).equals(readFileSync(`${dir}/b.vq`)));
  });
});

describe('vectro dequantize and inspect', () => {
  for (const ext of ['fvecs', 'fbin', 'npy']) {
    test(`round trip through .${ext} equals the in-memory decode`, async () => {
      const dir = tempDir();
      assert.equal(cli(['quantize', SIFTSMALL, '-o', `${dir}/s.vq`, '--scheme', 'int2', '--quiet']).code, 0);
      const r = cli(['dequantize', `${dir}/s.vq`, '-o', `${dir}/back.${ext}`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([JSON.parse(r.stdout).vectors, JSON.parse(r.stdout).dim], [10_000, 128]);

      const reader = await VectorReader.open(SIFTSMALL);
      const x = new Float32Array(10_000 * 128);
      await reader.read(0, 10_000, x);
      await reader.close();
      const expected = dequantize(quantize(x, 128, 'int2', { backend: 'js' }), { backend: 'js' });
      const back = await VectorReader.open(`${dir}/back.${ext}`);
      const got = new Float32Array(10_000 * 128);
      await back.read(0, 10_000, got);
      await back.close();
      assert.deepEqual(Buffer.from(got.buffer), Buffer.from(expected.buffer));
    });
  }

  test('inspect shows a .vq header and a vector file shape', () => {
    const dir = tempDir();
    cli(['quantize', SIFTSMALL, '-o', `${dir}/s.vq`, '--scheme', 'binary', '--quiet']);
    const vq = JSON.parse(cli(['inspect', `${dir}/s.vq`, '--json']).stdout);
    assert.deepEqual(
      {
        format: vq.format,
        version: vq.version,
        scheme: vq.scheme,
        vectors: vq.vectors,
        dim: vq.dim,
        codeBytes: vq.codeBytesPerVector,
        center: vq.paramsPerFile,
        bytes: vq.bytes,
      },
      { format: 'vq', version: 1, scheme: 'binary', vectors: 10_000, dim: 128, codeBytes: 16, center: 128, bytes: statSync(`${dir}/s.vq`).size },
    );
    assert.match(vq.checksum, /^ok \(crc32 0x[0-9a-f]{8}\)$/);
    const vec = JSON.parse(cli(['inspect', SIFTSMALL, '--json']).stdout);
    assert.deepEqual([vec.format, vec.dtype, vec.count, vec.dim, vec.bytes], ['fvecs', 'float32', 10_000, 128, 5_160_000]);
    const table = cli(['inspect', `${dir}/s.vq`]);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /scheme\s+│ binary/);
  });
});

describe('vectro info, --help and --version', () => {
  test('info --json', () => {
    const r = cli(['info', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.vectro, VERSION);
    assert.equal(info.node, process.version);
    assert.equal(info.native.loaded, native.ok);
    assert.ok(info.threads >= 1);
    assert.equal(info.defaultBackend, native.ok ? 'native' : 'js');
  });

  test('--version', () => {
    assert.deepEqual([cli(['--version']).stdout.trim(), cli(['-V']).code], [VERSION, 0]);
  });

  test('help describes every command and option with its default', () => {
    const top = cli(['--help']);
    assert.equal(top.code, 0);
    for (const cmd of ['quantize', 'dequantize', 'inspect', 'info']) assert.match(top.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'));
    const q = cli(['quantize', '--help']).stdout.replace(/\s+/g, ' ');
    for (const text of [
      '--output <file>',
      '--scheme <name>',
      '(default: "int8")',
      '--format <name>',
      '--backend <name>',
      '(default: "auto")',
      '--threads <n>',
      '--json',
      '--quiet',
    ]) {
      assert.ok(q.includes(text), `quantize --help lacks ${text}`);
    }
  });
});

describe('bad input: one error line, the right exit code, nothing left behind', () => {
  const dir = tempDir();
  const nan = Buffer.alloc(2 * 12);
  nan.writeInt32LE(2, 0);
  nan.writeInt32LE(2, 12);
  nan.writeFloatLE(Infinity, 12 + 4);
  const inputs = {
    empty: writeFile(dir, 'empty.fvecs', Buffer.alloc(0)),
    truncated: writeFile(
      dir,
      'truncated.fvecs',
      texmexBytes(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        'f4',
      ).subarray(0, 25),
    ),
    mixed: writeFile(
      dir,
      'mixed.fvecs',
      texmexBytes(
        [
          [1, 2, 3],
          [4, 5],
        ],
        'f4',
      ),
    ),
    dim0: writeFile(dir, 'dim0.fvecs', texmexBytes([[]], 'f4')),
    huge: writeFile(dir, 'huge.fbin', bigAnnBytes([], 'f4', [0, 65_537])),
    inf: writeFile(dir, 'inf.fvecs', nan),
    text: writeFile(dir, 'notes.txt', 'hello'),
  };
  const cases: [string, string[], number, RegExp][] = [
    ['missing file', ['quantize', `${dir}/missing.fvecs`, '-o', `${dir}/o.vq`], 2, /missing\.fvecs: no such file$/],
    ['a directory', ['quantize', dir, '-o', `${dir}/o.vq`], 2, /: is a directory, expected a file$/],
    ['unknown extension', ['quantize', inputs.text, '-o', `${dir}/o.vq`], 2, /notes\.txt: unknown file extension \('\.txt'\); pass --format with one of fvecs/],
    ['empty file', ['quantize', inputs.empty, '-o', `${dir}/o.vq`], 1, /empty\.fvecs: file is empty$/],
    ['truncated record', ['quantize', inputs.truncated, '-o', `${dir}/o.vq`], 1, /truncated\.fvecs: truncated: record 1/],
    ['different dimensions', ['quantize', inputs.mixed, '-o', `${dir}/o.vq`], 1, /mixed\.fvecs: record 1 has dimension 2, but record 0 has 3$/],
    ['dimension 0', ['quantize', inputs.dim0, '-o', `${dir}/o.vq`], 1, /dim0\.fvecs: dimension 0 is out of range \(1 to 65536\)$/],
    ['dimension over 65,536', ['quantize', inputs.huge, '-o', `${dir}/o.vq`], 1, /huge\.fbin: dimension 65537 is out of range/],
    ['an infinite value', ['quantize', inputs.inf, '-o', `${dir}/o.vq`], 1, /inf\.fvecs: vector 1, dimension 0 is Infinity \(indexes from 0\)/],
    [
      'NaN with binary (first pass)',
      ['quantize', inputs.inf, '-o', `${dir}/o.vq`, '--scheme', 'binary', '--backend', 'js'],
      1,
      /vector 1, dimension 0 is Infinity/,
    ],
    [
      'output in a missing folder',
      ['quantize', SIFTSMALL, '-o', `${dir}/no/such/dir/o.vq`],
      2,
      /^error: -o .*no\/such\/dir\/o\.vq: the folder .*no\/such\/dir does not exist; create it first$/,
    ],
    ['output is a directory', ['quantize', SIFTSMALL, '-o', `${dir}/sub.vq`], 2, /-o .*sub\.vq: is a directory; give a file name$/],
    ['output without .vq', ['quantize', SIFTSMALL, '-o', `${dir}/o.fvecs`], 2, /quantize writes \.vq files/],
    [
      'unknown scheme',
      ['quantize', SIFTSMALL, '-o', `${dir}/o.vq`, '--scheme', 'int3'],
      2,
      /^error: --scheme: expected one of int8, int4, int2, binary, rabitq1, rabitq2, .*, rabitq8, rabitq, got 'int3'$/,
    ],
    ['unknown backend', ['quantize', SIFTSMALL, '-o', `${dir}/o.vq`, '--backend', 'gpu'], 2, /--backend: expected one of auto, native, js, got 'gpu'/],
    ['bad thread count', ['quantize', SIFTSMALL, '-o', `${dir}/o.vq`, '--threads', 'many'], 2, /--threads: expected a whole number/],
    ['missing -o', ['quantize', SIFTSMALL], 2, /-o, --output: required/],
    ['unknown option', ['quantize', SIFTSMALL, '--colour'], 2, /^error: unknown option '--colour'$/],
    ['missing argument', ['quantize'], 2, /^error: missing required argument 'input'$/],
    ['truncated .vq', ['dequantize', `${dir}/x.vq`, '-o', `${dir}/o.fvecs`], 1, /x\.vq: truncated: 8 bytes, a \.vq header alone is 64$/],
    [
      'dequantize to an unknown format',
      ['dequantize', `${dir}/x.vq`, '-o', `${dir}/o.csv`],
      2,
      /-o .*o\.csv: cannot write '\.csv' files; use one of \.fvecs, \.fbin, \.npy$/,
    ],
  ];
  writeFileSync(`${dir}/x.vq`, 'VECTROVQ');
  mkdirSync(`${dir}/sub.vq`);
  for (const [name, args, code, message] of cases) {
    test(name, () => {
      const before = listDir(dir);
      const r = cli(args);
      assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], message);
      assert.deepEqual(listDir(dir), before, 'files were left behind');
    });
  }

  test('VECTRO_DEBUG=1 adds the stack trace', () => {
    const r = cli(['quantize', inputs.empty, '-o', `${dir}/o.vq`], { VECTRO_DEBUG: '1' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*file is empty\n.*DataError/s);
  });
});

describe('signals stop cleanly: exit 128 + signal, no partial output', () => {
  const dir = tempDir();
  // 300,000 x 128 float32 (154 MB): about half a second of work on the js backend.
  const count = 300_000;
  const dim = 128;
  const body = Buffer.alloc(8 + count * dim * 4);
  body.writeUInt32LE(count, 0);
  body.writeUInt32LE(dim, 4);
  const floats = new Float32Array(body.buffer, body.byteOffset + 8, count * dim);
  for (let i = 0; i < floats.length; i++) floats[i] = (i * 7919) % 1000;
  writeFileSync(`${dir}/big.fbin`, body);

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    test(signal, async () => {
      const child = cliSpawn(['quantize', `${dir}/big.fbin`, '-o', `${dir}/big.vq`, '--backend', 'js']);
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise((r) => child.on('exit', (c) => r(c)));
      // Signal once work is under way: the temp output exists.
      while (!listDir(dir).some((f) => f.includes('vectro-tmp')) && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 2));
      }
      child.kill(signal);
      assert.equal(await exited, code, stderr);
      assert.equal(stderr.trim(), 'error: interrupted');
      assert.deepEqual(listDir(dir), ['big.fbin']);
    });
  }

  test('SIGINT during an index write: exit 130, the temporary file removed, nothing written', async () => {
    const child = cliSpawn(['index', 'build', `${dir}/big.fbin`, '-o', `${dir}/big.vidx`, '--type', 'flat']);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => child.on('exit', (c) => r(c)));
    // The index is built before its file is written: signal once the temp .vidx exists.
    while (!listDir(dir).some((f) => f.includes('big.vidx.vectro-tmp')) && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 1));
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.equal(stderr.trim(), 'error: interrupted');
    assert.deepEqual(listDir(dir), ['big.fbin']);
  });
});
