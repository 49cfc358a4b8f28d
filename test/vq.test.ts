import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { jsBackend } from '../src/backends/js/index.js';
import { quantizeFile } from '../src/quant/quantize.js';
import { SCHEMES } from '../src/quant/schemes.js';
import { VqReader, VqWriter, vqLayout } from '../src/formats/vq.js';
import { listDir, tempDir, writeFile, ROOT } from './helpers.js';

const dir = tempDir();

/** The worked example quantized to int8, made once. */
let example: Promise<Buffer> | undefined;
function exampleBytes(): Promise<Buffer> {
  example ??= quantizeFile(`${ROOT}/fixtures/worked-example.fvecs`, `${dir}/example.vq`, {
    scheme: SCHEMES.int8,
    backend: jsBackend,
    threads: 1,
  }).then(() => readFileSync(`${dir}/example.vq`));
  return example;
}

describe('.vq format', () => {
  test('the worked example has exactly the bytes docs/format.md describes', async () => {
    const bytes = await exampleBytes();
    const expected = Buffer.alloc(64 + 64 + 4 + 4);
    expected.write('VECTROVQ', 0, 'latin1');
    expected.writeUInt32LE(1, 8); // version
    expected.writeUInt32LE(1, 12); // scheme int8
    expected.writeUInt32LE(4, 16); // dim
    expected.writeUInt32LE(4, 20); // code bytes per vector
    expected.writeBigUInt64LE(1n, 24); // count
    expected.writeUInt32LE(1, 32); // params per vector
    expected.writeUInt32LE(0, 36); // params per file
    expected.writeBigUInt64LE(64n, 40); // file params offset
    expected.writeBigUInt64LE(64n, 48); // vector params offset
    expected.writeBigUInt64LE(128n, 56); // codes offset
    expected.writeFloatLE(4 / 127, 64); // scale
    Buffer.from([32, 64, 95, 127]).copy(expected, 128); // codes
    expected.writeUInt32LE(crc32(expected.subarray(0, 132)), 132);
    assert.deepEqual(bytes, expected);
  });

  test('rows written out of order read back in place', async () => {
    const path = `${dir}/rows.vq`;
    const w = await VqWriter.create(path, SCHEMES.int4, 5, 3);
    await w.writeRows(2, Float32Array.from([2, 0.5]), Uint8Array.from([0x22, 0x22, 0x02]));
    await w.writeRows(0, Float32Array.from([0, 1, 1, 0.25]), Uint8Array.from([1, 2, 3, 4, 5, 6]));
    await w.finish();
    const r = await VqReader.open(path);
    const params = new Float32Array(6);
    const codes = new Uint8Array(9);
    await r.readRows(0, params, codes);
    await r.close();
    assert.deepEqual(Array.from(params), [0, 1, 1, 0.25, 2, 0.5]);
    assert.deepEqual(Array.from(codes), [1, 2, 3, 4, 5, 6, 0x22, 0x22, 0x02]);
    assert.equal(r.layout.fileBytes, vqLayout(SCHEMES.int4, 5, 3).fileBytes);
  });

  test('a binary file stores its center', async () => {
    const path = `${dir}/center.vq`;
    const w = await VqWriter.create(path, SCHEMES.binary, 3, 1);
    await w.writeFileParams(Float32Array.from([1, 2, 3]));
    await w.writeRows(0, Float32Array.from([0.5]), Uint8Array.from([5]));
    await w.finish();
    const r = await VqReader.open(path);
    assert.deepEqual(Array.from(await r.readFileParams()), [1, 2, 3]);
    await r.close();
  });

  describe('corrupt files are refused with a clear error', () => {
    const variants: [string, (b: Buffer) => Buffer, RegExp][] = [
      ['bad magic', (b) => (b.write('VECTROVX', 0, 'latin1'), b), /not a \.vq file \(bad magic\)/],
      ['unknown version', (b) => (b.writeUInt32LE(2, 8), b), /unsupported \.vq version 2 \(this vectro reads version 1\)/],
      ['unknown scheme', (b) => (b.writeUInt32LE(13, 12), b), /unknown scheme id 13/],
      ['inconsistent header', (b) => (b.writeBigUInt64LE(192n, 56), b), /inconsistent header/],
      ['truncated body', (b) => b.subarray(0, 130), /truncated: 1 int8 vectors need 136 bytes but the file has 130/],
      ['truncated header', (b) => b.subarray(0, 40), /truncated: 40 bytes, a \.vq header alone is 64/],
      ['trailing bytes', (b) => Buffer.concat([b, Buffer.from([0])]), /1 unexpected bytes after the data/],
      ['flipped code byte', (b) => ((b[129] ^= 1), b), /checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\): the file is corrupt/],
    ];
    for (const [name, corrupt, message] of variants) {
      test(name, async () => {
        const path = writeFile(dir, `${name.replace(/ /g, '-')}.vq`, corrupt(Buffer.from(await exampleBytes())));
        await assert.rejects(VqReader.open(path), message);
      });
    }
  });

  test('a failed quantize leaves no file behind', async () => {
    const sub = tempDir();
    const input = `${sub}/in.fvecs`;
    const b = Buffer.alloc(3 * 12);
    for (let r = 0; r < 3; r++) b.writeInt32LE(2, r * 12);
    b.writeFloatLE(NaN, 2 * 12 + 8);
    writeFileSync(input, b);
    await assert.rejects(
      quantizeFile(input, `${sub}/out.vq`, { scheme: SCHEMES.int8, backend: jsBackend, threads: 1 }),
      /in\.fvecs: vector 2, dimension 1 is NaN \(indexes from 0\)/,
    );
    assert.deepEqual(listDir(sub), ['in.fvecs']);
  });
});
