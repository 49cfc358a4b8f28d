import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VectorReader } from '../src/formats/vectors.js';
import { VectorWriter } from '../src/formats/writers.js';
import { DataError, UsageError } from '../src/errors.js';
import { bigAnnBytes, listDir, npyBytes, tempDir, texmexBytes, writeFile } from './helpers.js';

const dir = tempDir();

async function readAll(path: string, format?: Parameters<typeof VectorReader.open>[1]) {
  const reader = await VectorReader.open(path, format);
  try {
    const out = new Float32Array(reader.info.count * reader.info.dim);
    // Two reads, so chunk offsets are exercised too.
    const half = Math.floor(reader.info.count / 2);
    await reader.read(0, half, out.subarray(0, half * reader.info.dim));
    await reader.read(half, reader.info.count - half, out.subarray(half * reader.info.dim));
    return { info: reader.info, values: Array.from(out) };
  } finally {
    await reader.close();
  }
}

const FLOATS = [
  [0.5, -1.25, 3],
  [1e-3, 2, -0],
];
const BYTES = [
  [0, 255, 7],
  [128, 1, 64],
];
const INT8S = [
  [-128, 127, 0],
  [5, -5, 1],
];
const INT32S = [
  [1 << 20, -7, 0],
  [999, 1, -1],
];

describe('readers, against files written independently', () => {
  const cases: [string, Buffer, number[][], string][] = [
    ['a.fvecs', texmexBytes(FLOATS, 'f4'), FLOATS, 'float32'],
    ['a.ivecs', texmexBytes(INT32S, 'i4'), INT32S, 'int32'],
    ['a.bvecs', texmexBytes(BYTES, 'u1'), BYTES, 'uint8'],
    ['a.fbin', bigAnnBytes(FLOATS, 'f4'), FLOATS, 'float32'],
    ['a.u8bin', bigAnnBytes(BYTES, 'u1'), BYTES, 'uint8'],
    ['a.i8bin', bigAnnBytes(INT8S, 'i1'), INT8S, 'int8'],
    ['a.ibin', bigAnnBytes(INT32S, 'i4'), INT32S, 'int32'],
    ['f.npy', npyBytes(FLOATS.flat(), 'f4', '<f4', '(2, 3)'), FLOATS, 'float32'],
    ['u.npy', npyBytes(BYTES.flat(), 'u1', '|u1', '(2, 3)'), BYTES, 'uint8'],
    ['i.npy', npyBytes(INT8S.flat(), 'i1', '|i1', '(2, 3)'), INT8S, 'int8'],
  ];
  for (const [name, bytes, rows, dtype] of cases) {
    test(name, async () => {
      const { info, values } = await readAll(writeFile(dir, name, bytes));
      assert.deepEqual({ count: info.count, dim: info.dim, dtype: info.dtype }, { count: 2, dim: 3, dtype });
      assert.deepEqual(values, rows.flat().map(Math.fround));
    });
  }

  test('--format overrides the extension', async () => {
    const { info } = await readAll(writeFile(dir, 'data.raw', bigAnnBytes(BYTES, 'u1')), 'u8bin');
    assert.equal(info.format, 'u8bin');
  });
});

describe('writers round-trip through the readers', () => {
  for (const format of ['fvecs', 'fbin', 'npy'] as const) {
    test(format, async () => {
      const sub = tempDir();
      const path = `${sub}/out.${format}`;
      const rows = Float32Array.from({ length: 5 * 129 }, (_, i) => Math.sin(i) * 100);
      const writer = await VectorWriter.create(path, format, 129, 5);
      await writer.write(rows.subarray(0, 2 * 129));
      await writer.write(rows.subarray(2 * 129));
      await writer.commit();
      const { info, values } = await readAll(path);
      assert.deepEqual([info.count, info.dim], [5, 129]);
      assert.deepEqual(values, Array.from(rows));
      assert.deepEqual(listDir(sub), [`out.${format}`]);
    });
  }

  test('an aborted writer leaves nothing', async () => {
    const sub = tempDir();
    const writer = await VectorWriter.create(`${sub}/x.fvecs`, 'fvecs', 3, 2);
    await writer.write(new Float32Array(3));
    await writer.abort();
    assert.deepEqual(listDir(sub), []);
  });
});

describe('bad input files', () => {
  const bad: [string, Buffer, RegExp][] = [
    ['empty.fvecs', Buffer.alloc(0), /empty\.fvecs: file is empty$/],
    ['short.fvecs', Buffer.from([4, 0]), /short\.fvecs: truncated: 2 bytes/],
    ['truncated.fvecs', texmexBytes(FLOATS, 'f4').subarray(0, 20), /truncated\.fvecs: truncated: record 1 needs 16 bytes but the file ends 4 bytes into it/],
    [
      'mixed.fvecs',
      texmexBytes(
        [
          [1, 2, 3],
          [1, 2],
          [1, 2, 3],
        ],
        'f4',
      ),
      /mixed\.fvecs: record 1 has dimension 2, but record 0 has 3/,
    ],
    ['zero.fvecs', texmexBytes([[]], 'f4'), /zero\.fvecs: dimension 0 is out of range \(1 to 65536\)/],
    ['huge.fvecs', texmexBytes([[1]], 'f4', [65_537]), /huge\.fvecs: dimension 65537 is out of range/],
    ['negative.bvecs', texmexBytes([[1]], 'u1', [-1]), /dimension -1 is out of range/],
    ['short.fbin', bigAnnBytes(FLOATS, 'f4', [3, 3]), /short\.fbin: truncated: the header says 3 x 3 \(44 bytes\) but the file has 32/],
    ['long.u8bin', Buffer.concat([bigAnnBytes(BYTES, 'u1'), Buffer.from([1])]), /1 bytes after the 2 x 3 vectors/],
    ['zero.fbin', bigAnnBytes([], 'f4', [0, 0]), /dimension 0 is out of range/],
    ['magic.npy', Buffer.from('not numpy at all'), /not a \.npy file \(bad magic\)/],
    ['fortran.npy', npyBytes([1, 2, 3, 4], 'f4', '<f4', '(2, 2)', 'True'), /Fortran order/],
    ['cube.npy', npyBytes([1, 2, 3, 4, 5, 6, 7, 8], 'f4', '<f4', '(2, 2, 2)'), /must be 2-D \(count, dim\), its shape is \(2, 2, 2\)/],
    ['double.npy', npyBytes([1, 2], 'f4', '<f8', '(1, 1)'), /dtype '<f8' is not supported/],
    ['cut.npy', npyBytes([1, 2, 3, 4], 'f4', '<f4', '(2, 2)').subarray(0, 134), /cut\.npy: truncated: shape \(2, 2\) needs 144 bytes but the file has 134/],
    ['header.npy', npyBytes([1, 2, 3, 4], 'f4', '<f4', '(2, 2)').subarray(0, 70), /header\.npy: truncated: the \.npy header runs past the end of the file/],
  ];
  for (const [name, bytes, message] of bad) {
    test(name, async () => {
      const path = writeFile(dir, name, bytes);
      await assert.rejects(
        VectorReader.open(path).then((r) => readAll(r.info.path)),
        (err: Error) => {
          assert.ok(err instanceof DataError, `${err}`);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  test('mixed dimensions are caught while streaming when the size happens to fit', async () => {
    // 3 records of dim 2 (12 bytes each) vs a record of dim 1 and one of dim 3: 36 bytes = 3 x 12.
    const path = writeFile(dir, 'sneaky.fvecs', texmexBytes([[1, 2], [1], [1, 2, 3]], 'f4'));
    await assert.rejects(readAll(path), /sneaky\.fvecs: record 1 has dimension 1, but record 0 has 2/);
  });

  test('missing file, folder and unknown extension are usage errors', async () => {
    await assert.rejects(VectorReader.open(`${dir}/missing.fvecs`), (e: Error) => e instanceof UsageError && /missing\.fvecs: no such file/.test(e.message));
    await assert.rejects(VectorReader.open(dir), (e: Error) => e instanceof UsageError && /is a directory/.test(e.message));
    const txt = writeFile(dir, 'x.txt', 'hello');
    await assert.rejects(VectorReader.open(txt), (e: Error) => e instanceof UsageError && /unknown file extension \('\.txt'\); pass --format/.test(e.message));
  });
});
