// Writes fixtures/compat/: small .vq and .vidx files of every scheme and index type, made by the
// vectro whose bin/vectro.js is given, and expected.json: the sha256 of each file and of what
// dequantize and index search (both backends) write from it. test/compat.test.ts checks that the
// current vectro reads every file and writes the same bytes. Run it with an older checkout's CLI:
//   node scripts/make-compat-fixtures.mjs /path/to/old/bin/vectro.js COMMIT
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [bin, commit] = process.argv.slice(2);
if (!bin || !commit) throw new Error('usage: make-compat-fixtures.mjs OLD/bin/vectro.js COMMIT');
const out = fileURLToPath(new URL('../fixtures/compat/', import.meta.url));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const scratch = join(out, 'scratch');
mkdirSync(scratch);

/** Whole numbers 0..31 from a fixed generator: exact in every format, byte-identical builds on both backends. */
function fvecs(count, dim, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const b = Buffer.alloc(count * (dim + 1) * 4);
  for (let r = 0; r < count; r++) {
    b.writeInt32LE(dim, r * (dim + 1) * 4);
    for (let j = 0; j < dim; j++) b.writeFloatLE(Math.floor(next() * 32), (r * (dim + 1) + 1 + j) * 4);
  }
  return b;
}
writeFileSync(join(out, 'base.fvecs'), fvecs(300, 12, 7));
writeFileSync(join(out, 'queries.fvecs'), fvecs(10, 12, 8));

const sha = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
function vectro(args) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

const expected = { commit, files: {} };
const schemes = ['int8', 'int4', 'int2', 'binary', ...Array.from({ length: 8 }, (_, i) => `rabitq${i + 1}`)];
for (const scheme of schemes) {
  const name = `${scheme}.vq`;
  const metric = scheme === 'binary' || scheme === 'rabitq3' ? 'cosine' : 'l2';
  vectro(['quantize', join(out, 'base.fvecs'), '-o', join(out, name), '--scheme', scheme, '--metric', metric, '-q', '--no-search-report']);
  const outputs = {};
  for (const backend of ['native', 'js']) {
    vectro(['dequantize', join(out, name), '-o', join(scratch, 'd.fvecs'), '--backend', backend, '-q']);
    outputs[`dequantize ${backend}`] = sha(join(scratch, 'd.fvecs'));
  }
  expected.files[name] = { sha256: sha(join(out, name)), outputs };
}

// [file, build flags, search flags]
const indexes = [
  ['flat-f32.vidx', ['--type', 'flat'], []],
  ['hnsw-f32.vidx', ['--m', '6', '--ef-construction', '20'], ['--ef', '16']],
  ['hnsw-f32-cosine.vidx', ['--m', '6', '--ef-construction', '20', '--metric', 'cosine'], ['--ef', '16']],
  ['hnsw-int8.vidx', ['--m', '6', '--ef-construction', '20', '--storage', 'int8', '--keep-vectors'], ['--ef', '16', '--rerank', '10']],
  ['hnsw-binary.vidx', ['--m', '6', '--ef-construction', '20', '--storage', 'binary', '--metric', 'cosine'], ['--ef', '16']],
  ...[1, 2, 4, 8].map((b) => [
    `hnsw-rabitq${b}.vidx`,
    ['--m', '6', '--ef-construction', '20', '--storage', `rabitq${b}`, '--keep-vectors'],
    ['--ef', '16', '--rerank', '10'],
  ]),
  ['ivf-f32.vidx', ['--type', 'ivf', '--nlist', '8'], ['--nprobe', '3']],
  ['ivf-int8.vidx', ['--type', 'ivf', '--nlist', '8', '--storage', 'int8', '--keep-vectors'], ['--nprobe', '3', '--rerank', '10']],
  ['ivf-rabitq4.vidx', ['--type', 'ivf', '--nlist', '8', '--storage', 'rabitq4', '--keep-vectors', '--metric', 'cosine'], ['--nprobe', '3', '--rerank', '10']],
  ['ivf-rabitq1.vidx', ['--type', 'ivf', '--nlist', '8', '--storage', 'rabitq1'], ['--nprobe', '8']],
];
for (const [name, build, search] of indexes) {
  vectro(['index', 'build', join(out, 'base.fvecs'), '-o', join(out, name), ...build, '--threads', '1', '--backend', 'native', '-q']);
  const outputs = {};
  for (const backend of ['native', 'js']) {
    vectro([
      'index',
      'search',
      join(out, name),
      join(out, 'queries.fvecs'),
      '-k',
      '5',
      ...search,
      '-o',
      join(scratch, 'i.ivecs'),
      '--distances',
      join(scratch, 'd.fvecs'),
      '--backend',
      backend,
      '-q',
    ]);
    outputs[`search ${backend} ids`] = sha(join(scratch, 'i.ivecs'));
    outputs[`search ${backend} distances`] = sha(join(scratch, 'd.fvecs'));
  }
  expected.files[name] = { sha256: sha(join(out, name)), search, outputs };
}
rmSync(scratch, { recursive: true });
writeFileSync(join(out, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
console.log(`fixtures/compat: ${Object.keys(expected.files).length} files from ${commit}`);
