/**
 * Property-based fuzz of every file format through every command that reads it: seeded random byte
 * flips, truncations and extensions, and (for the checksummed containers) crafted header fields and
 * values under a recomputed CRC. For every case:
 * - each command exits 0, 1 or 2; a failure prints exactly one `error:` line, never an internal error;
 * - no input changes, a failed command leaves no output, and no temporary file is left anywhere;
 * - native and js agree (exit code and message);
 * - a container whose bytes no longer match their checksum is refused by every command, and a
 *   crafted one is refused by all of its readers with the same message, or by none.
 * The default run takes well under a minute; VECTRO_FUZZ_LONG=1 (`npm test -- --long`) runs 20x the
 * cases, VECTRO_FUZZ_SEED picks another seed. A failure names the seed, target and case to replay.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { decodeIndexHeader } from '../src/index/format.js';
import { CliHost, listDir, native, npyBytes, rng, tempDir, texmexBytes, writeFile, type CliResult } from './helpers.js';

const LONG = process.env.VECTRO_FUZZ_LONG === '1';
const SEED = Number(process.env.VECTRO_FUZZ_SEED ?? 20261129);
const CASES = LONG ? 20 : 1;
const BACKENDS = native.ok ? ['native', 'js'] : ['js'];

const host = new CliHost();
after(() => host.close());
const dir = tempDir();
const out = (name: string) => join(dir, 'out', name);

/** Whole numbers 0..31: every format (int8, uint8, int32, float32) holds them exactly. */
const DIM = 12;
const next = rng(SEED);
const baseRows = Array.from({ length: 120 }, () => Array.from({ length: DIM }, () => Math.floor(next() * 32)));
const queryRows = baseRows.slice(0, 8).map((r) => r.map((v) => 31 - v));

function bigAnn(rows: number[][], bytesPer: number, put: (view: DataView, at: number, v: number) => void): Buffer {
  const b = Buffer.alloc(8 + rows.length * DIM * bytesPer);
  b.writeUInt32LE(rows.length, 0);
  b.writeUInt32LE(DIM, 4);
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  rows.flat().forEach((v, i) => put(view, 8 + i * bytesPer, v));
  return b;
}

/** Every vector format vectro reads, written by the independent encoders of helpers.ts (or here). */
const VECTOR_FILES: Record<string, Buffer> = {
  'base.fvecs': texmexBytes(baseRows, 'f4'),
  'base.ivecs': texmexBytes(baseRows, 'i4'),
  'base.bvecs': texmexBytes(baseRows, 'u1'),
  'base.fbin': bigAnn(baseRows, 4, (v, at, x) => v.setFloat32(at, x, true)),
  'base.ibin': bigAnn(baseRows, 4, (v, at, x) => v.setInt32(at, x, true)),
  'base.u8bin': bigAnn(baseRows, 1, (v, at, x) => v.setUint8(at, x)),
  'base.i8bin': bigAnn(baseRows, 1, (v, at, x) => v.setInt8(at, x)),
  'base.npy': npyBytes(baseRows.flat(), 'f4', '<f4', `(${baseRows.length}, ${DIM})`),
};

type Kind = 'flip' | 'truncate' | 'extend' | 'field' | 'value';

/** One corruption of `bytes`, drawn from `r`; `field` and `value` recompute a container's CRC trailer. */
function corrupt(
  bytes: Buffer,
  kind: Kind,
  r: () => number,
  fields: [number, number][],
  payloadFrom: number,
  checksummed: boolean,
  reseal?: (b: Buffer) => void,
): Buffer {
  const pick = (n: number) => Math.floor(r() * n);
  if (kind === 'truncate') return bytes.subarray(0, pick(bytes.length));
  if (kind === 'extend') return Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + pick(16) }, () => pick(256)))]);
  const b = Buffer.from(bytes);
  if (kind === 'flip') {
    for (let i = 1 + pick(4); i > 0; i--) b[pick(b.length)] ^= 1 + pick(255);
    return b;
  }
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  if (kind === 'field') {
    const [at, width] = fields[pick(fields.length)];
    const old = width === 8 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true);
    const hostile = [0, 1, old + 1, old - 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, pick(2 ** 32)][pick(8)];
    if (width === 8) view.setBigUint64(at, BigInt(Math.max(0, hostile)) * (r() < 0.1 ? 2n ** 32n : 1n), true);
    else view.setUint32(at, hostile >>> 0, true);
  } else {
    const at = payloadFrom + 4 * pick((b.length - 4 - payloadFrom) / 4);
    view.setFloat32(at, [NaN, Infinity, -Infinity, -1, 3.4e38, -0][pick(6)], true);
  }
  reseal?.(b);
  if (checksummed) b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
  return b;
}

/**
 * An IVF file's directory checksum (header byte 76: CRC-32 of header bytes 0..75, then the
 * centroids, sizes and ids sections) recomputed, so that a crafted field reaches the checks behind
 * it (nlist, sizes, ids, centroids) instead of stopping at the checksum. Section offsets come from
 * the uncorrupted file.
 */
function ivfResealer(original: Buffer): { reseal: (b: Buffer) => void; fields: [number, number][] } {
  const { sections } = decodeIndexHeader(original, original.length, 'fixture').layout;
  const at = (name: string) => sections.find((x) => x.name === name)!;
  const [centroids, sizes, ids] = [at('centroids'), at('sizes'), at('ids')];
  const reseal = (b: Buffer) => {
    let crc = crc32(b.subarray(0, 76));
    for (const x of [centroids, sizes, ids]) crc = crc32(b.subarray(x.offset, x.offset + x.bytes), crc);
    b.writeUInt32LE(crc, 76);
  };
  // List sizes and ids as fields too: the first, a middle and the last of each.
  const fields: [number, number][] = [];
  for (const x of [sizes, ids]) for (const i of [0, (x.bytes / 8) | 0, x.bytes / 4 - 1]) fields.push([x.offset + 4 * i, 4]);
  return { reseal, fields };
}

/** rabitq `.vq` files: the rotation words, the first 8 words of the file parameters (byte 64 on). */
const RABITQ_ROTATION_FIELDS: [number, number][] = Array.from({ length: 8 }, (_, i) => [64 + 4 * i, 4]);

/** `.vq` header fields (offset, bytes), from docs/format.md. */
const VQ_FIELDS: [number, number][] = [
  [8, 4],
  [12, 4],
  [16, 4],
  [20, 4],
  [24, 8],
  [32, 4],
  [36, 4],
  [40, 8],
  [48, 8],
  [56, 8],
];
/** `.vidx` header fields. */
const VIDX_FIELDS: [number, number][] = [
  [8, 4],
  [12, 4],
  [16, 4],
  [20, 4],
  [24, 4],
  [28, 4],
  [32, 4],
  [36, 4],
  [40, 8],
  [48, 4],
  [60, 4],
  [64, 8],
  [72, 4],
  [124, 4],
];

interface Target {
  name: string;
  bytes: Buffer;
  kinds: Kind[];
  /** The commands that read it (the file's path is substituted for `@`); `backends` ones run once per backend. */
  commands: { args: string[]; output?: string; backends?: boolean; lenient?: boolean }[];
  fields: [number, number][];
  payloadFrom: number;
  /** Recomputes inner checksums after a crafted edit (IVF's directory checksum). */
  reseal?: (b: Buffer) => void;
  /** Checksummed: every reader must refuse bytes that no longer match. */
  checksummed: boolean;
}

function outcome(r: CliResult, what: string): void {
  assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `${what}: exit code ${r.code}; stderr: ${r.stderr}`);
  if (r.code !== 0) {
    assert.match(r.stderr, /^error: [^\n]+\n$/, `${what}: one error line, got ${JSON.stringify(r.stderr)}`);
    assert.doesNotMatch(r.stderr, /VECTRO_DEBUG|internal|TypeError|RangeError|undefined/, `${what}: an internal error escaped: ${r.stderr}`);
  }
}

/** Every file below dir that a run might have left: vectro's temporary names. */
function leftovers(): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => /vectro-tmp|vectro-run/.test(f));
}

describe('fuzz: every format through every command', () => {
  const targets: Target[] = [];
  let index = '';
  let queries = '';

  before(async () => {
    mkdirSync(join(dir, 'out'));
    queries = writeFile(dir, 'q.fvecs', texmexBytes(queryRows, 'f4'));
    const base = writeFile(dir, 'base.fvecs', VECTOR_FILES['base.fvecs']);
    index = join(dir, 'hnsw-f32.vidx');
    const made: [string, string[]][] = [
      ['hnsw-f32.vidx', ['index', 'build', base, '-o', '@', '--m', '4', '--ef-construction', '8']],
      ['hnsw-int8.vidx', ['index', 'build', base, '-o', '@', '--m', '4', '--ef-construction', '8', '--storage', 'int8', '--keep-vectors']],
      ['hnsw-binary.vidx', ['index', 'build', base, '-o', '@', '--m', '4', '--ef-construction', '8', '--storage', 'binary', '--metric', 'cosine']],
      ['hnsw-rabitq2.vidx', ['index', 'build', base, '-o', '@', '--m', '4', '--ef-construction', '8', '--storage', 'rabitq2']],
      [
        'hnsw-rabitq1.vidx',
        ['index', 'build', base, '-o', '@', '--m', '4', '--ef-construction', '8', '--storage', 'rabitq1', '--keep-vectors', '--metric', 'cosine'],
      ],
      ['flat.vidx', ['index', 'build', base, '-o', '@', '--type', 'flat']],
      ['ivf-f32.vidx', ['index', 'build', base, '-o', '@', '--type', 'ivf', '--nlist', '4']],
      ['ivf-int8.vidx', ['index', 'build', base, '-o', '@', '--type', 'ivf', '--nlist', '4', '--storage', 'int8', '--keep-vectors']],
      [
        'ivf-rabitq4.vidx',
        ['index', 'build', base, '-o', '@', '--type', 'ivf', '--nlist', '3', '--storage', 'rabitq4', '--keep-vectors', '--metric', 'cosine'],
      ],
      ...(['int8', 'int4', 'int2', 'binary', 'rabitq1', 'rabitq3'].map((s) => [`${s}.vq`, ['quantize', base, '-o', '@', '--scheme', s]]) as [
        string,
        string[],
      ][]),
    ];
    for (const [name, args] of made) {
      const r = await host.run([...args.map((a) => (a === '@' ? join(dir, name) : a)), '-q']);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const bytes = readFileSync(join(dir, name));
      const vq = name.endsWith('.vq');
      const ivf = name.startsWith('ivf') ? ivfResealer(bytes) : undefined;
      targets.push({
        name,
        bytes,
        kinds: ['flip', 'truncate', 'extend', 'field', 'value'],
        commands: vq
          ? [{ args: ['inspect', '@'] }, { args: ['dequantize', '@', '-o', out('d.fvecs')], output: out('d.fvecs'), backends: true }]
          : ivf
            ? [
                { args: ['index', 'info', '@'] },
                { args: ['index', 'verify', '@'] },
                { args: ['index', 'search', '@', queries, '-k', '3', '--nprobe', '2'], backends: true },
                // A mapped search checks the directory, not the lists nor the file checksum
                // (`index verify` does): it must fail cleanly or answer, never crash.
                ...(native.ok ? [{ args: ['index', 'search', '@', queries, '-k', '3', '--nprobe', '4', '--mmap', '-q'], lenient: true }] : []),
              ]
            : [
                { args: ['index', 'info', '@'] },
                { args: ['index', 'verify', '@'] },
                { args: ['index', 'search', '@', queries, '-k', '3', '--ef', '8'], backends: true },
              ],
        fields: vq ? [...VQ_FIELDS, ...(name.startsWith('rabitq') ? RABITQ_ROTATION_FIELDS : [])] : [...VIDX_FIELDS, ...(ivf?.fields ?? [])],
        payloadFrom: vq ? 64 : 128,
        checksummed: true,
        reseal: ivf?.reseal,
      });
    }
    for (const [name, bytes] of Object.entries(VECTOR_FILES)) {
      targets.push({
        name,
        bytes,
        kinds: ['flip', 'truncate', 'extend', 'field'],
        commands: [
          { args: ['inspect', '@'] },
          { args: ['quantize', '@', '-o', out('o.vq')], output: out('o.vq'), backends: true },
          { args: ['groundtruth', '@', queries, '-k', '3', '-o', out('g.ivecs')], output: out('g.ivecs'), backends: true },
          { args: ['index', 'search', index, '@', '-k', '3'], backends: true },
          ...(name === 'base.fvecs'
            ? [{ args: ['index', 'build', '@', '-o', out('b.vidx'), '--m', '4', '--ef-construction', '8'], output: out('b.vidx'), backends: true }]
            : []),
        ],
        // The leading dimension or count and dim; npy's header length and first shape digits.
        fields: name.endsWith('vecs')
          ? [[0, 4]]
          : name.endsWith('.npy')
            ? [
                [8, 4],
                [40, 4],
              ]
            : [
                [0, 4],
                [4, 4],
              ],
        payloadFrom: 0,
        checksummed: false,
      });
    }
    targets.push({
      name: 'truth.ivecs',
      bytes: texmexBytes(
        queryRows.map((_, q) => [q, q + 1, q + 2, q + 3]),
        'i4',
      ),
      kinds: ['flip', 'truncate', 'extend', 'field'],
      commands: [{ args: ['index', 'search', index, queries, '-k', '3', '--groundtruth', '@', '-q'] }],
      fields: [
        [0, 4],
        [8, 4],
      ],
      payloadFrom: 0,
      checksummed: false,
    });
  });

  test(`seed ${SEED}, ${CASES} case(s) per target and kind${LONG ? ' (long)' : ''}`, async () => {
    const fixtures = Object.fromEntries(
      listDir(dir)
        .filter((f) => !f.startsWith('out'))
        .map((f) => [f, readFileSync(join(dir, f))]),
    );
    let runs = 0;
    let refusedAll = 0;
    for (const target of targets) {
      const r = rng(SEED ^ crc32(target.name));
      for (const kind of target.kinds) {
        for (let c = 0; c < CASES * (kind === 'field' || kind === 'value' ? 2 : 1); c++) {
          const what = `seed ${SEED}, ${target.name}, ${kind} #${c}`;
          const bytes = corrupt(target.bytes, kind, r, target.fields, target.payloadFrom, target.checksummed, target.reseal);
          if (bytes.equals(target.bytes)) continue;
          const path = writeFile(dir, `case-${target.name}`, bytes);
          const verdicts: CliResult[] = [];
          for (const cmd of target.commands) {
            const args = cmd.args.map((a) => (a === '@' ? path : a));
            const results: CliResult[] = [];
            for (const backend of cmd.backends ? BACKENDS : [undefined]) {
              const res = await host.run([...args, ...(backend ? ['-q', '--backend', backend] : [])]);
              runs++;
              const label = `${what}: ${args.join(' ')}${backend ? ` [${backend}]` : ''}`;
              outcome(res, label);
              if (cmd.output) {
                assert.equal(existsSync(cmd.output), res.code === 0, `${label}: output ${res.code === 0 ? 'missing' : 'left behind'}`);
                rmSync(cmd.output, { force: true });
              }
              results.push(res);
            }
            if (results.length === 2) {
              assert.deepEqual(
                [results[1].code, results[1].stderr],
                [results[0].code, results[0].stderr],
                `${what}: ${args.join(' ')}: native and js disagree`,
              );
            }
            if (!cmd.lenient) verdicts.push(results[0]);
          }
          assert.deepEqual(readFileSync(path), bytes, `${what}: the input changed`);
          assert.deepEqual(leftovers(), [], `${what}: temporary files left`);
          if (target.checksummed) {
            const [reader, ...others] = verdicts;
            if (kind !== 'field' && kind !== 'value') {
              assert.ok(
                verdicts.every((v) => v.code === 1),
                `${what}: bytes that fail their checksum must be refused: ${verdicts.map((v) => v.stderr || 'accepted').join(' | ')}`,
              );
            }
            if (reader.code === 1) {
              refusedAll++;
              for (const o of others) assert.equal(o.stderr, reader.stderr, `${what}: what one reader refuses, all refuse with the same message`);
            } else {
              // A crafted field can make another valid file (say dim 13 where its sections still fit):
              // then only the queries can be wrong for it.
              for (const o of others) {
                if (o.code === 1) assert.match(o.stderr, /queries have dimension/, `${what}: accepted by one reader, refused by another: ${o.stderr}`);
              }
            }
          }
        }
      }
    }
    for (const [f, bytes] of Object.entries(fixtures)) assert.deepEqual(readFileSync(join(dir, f)), bytes, `${f} changed`);
    assert.ok(refusedAll > 0);
    console.log(`fuzz: ${runs} command runs, seed ${SEED}`);
  });
});

test('fuzz fixtures are what they claim', () => {
  // The corruption kinds reach their targets: a recomputed CRC matches, so only the field is wrong.
  const b = Buffer.alloc(16, 7);
  const c = corrupt(b, 'field', rng(1), [[0, 4]], 0, true);
  assert.equal(c.readUInt32LE(12), crc32(c.subarray(0, 12)));
  assert.notDeepEqual(c.subarray(0, 4), b.subarray(0, 4));
  assert.notDeepEqual(corrupt(b, 'flip', rng(2), [], 0, false), b);
});
