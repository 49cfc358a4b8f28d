/**
 * Files written by an older vectro (fixtures/compat/, made by scripts/make-compat-fixtures.mjs from
 * the commit expected.json names) still load and answer with the same bytes, on both backends; and
 * today's builds of the same data write the same files, byte for byte, on both backends. A change of
 * format or of any result shows here first.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CliHost, native, ROOT, tempDir } from './helpers.js';

const FIXTURES = join(ROOT, 'fixtures', 'compat');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  commit: string;
  files: Record<string, { sha256: string; search?: string[]; outputs: Record<string, string> }>;
};
const host = new CliHost();
after(() => host.close());
const out = tempDir();
mkdirSync(join(out, 'rebuilt'));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const fixture = (name: string) => join(FIXTURES, name);
const BACKENDS = native.ok ? ['native', 'js'] : ['js'];

async function ok(args: string[]): Promise<void> {
  const r = await host.run(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
}

/** The build flags of each index fixture, as scripts/make-compat-fixtures.mjs used them. */
const BUILDS: Record<string, string[]> = {
  'flat-f32.vidx': ['--type', 'flat'],
  'hnsw-f32.vidx': ['--m', '6', '--ef-construction', '20'],
  'hnsw-f32-cosine.vidx': ['--m', '6', '--ef-construction', '20', '--metric', 'cosine'],
  'hnsw-int8.vidx': ['--m', '6', '--ef-construction', '20', '--storage', 'int8', '--keep-vectors'],
  'hnsw-binary.vidx': ['--m', '6', '--ef-construction', '20', '--storage', 'binary', '--metric', 'cosine'],
  ...Object.fromEntries(
    [1, 2, 4, 8].map((b) => [`hnsw-rabitq${b}.vidx`, ['--m', '6', '--ef-construction', '20', '--storage', `rabitq${b}`, '--keep-vectors']]),
  ),
  'ivf-f32.vidx': ['--type', 'ivf', '--nlist', '8'],
  'ivf-int8.vidx': ['--type', 'ivf', '--nlist', '8', '--storage', 'int8', '--keep-vectors'],
  'ivf-rabitq4.vidx': ['--type', 'ivf', '--nlist', '8', '--storage', 'rabitq4', '--keep-vectors', '--metric', 'cosine'],
  'ivf-rabitq1.vidx': ['--type', 'ivf', '--nlist', '8', '--storage', 'rabitq1'],
};

describe(`files written by ${expected.commit}`, () => {
  test('the fixtures are the files expected.json describes', () => {
    for (const [name, e] of Object.entries(expected.files)) assert.equal(sha(fixture(name)), e.sha256, name);
    assert.deepEqual(
      Object.keys(BUILDS).sort(),
      Object.keys(expected.files)
        .filter((n) => n.endsWith('.vidx'))
        .sort(),
    );
  });

  for (const [name, e] of Object.entries(expected.files)) {
    test(`${name} reads back with the same results on every backend`, async () => {
      for (const backend of BACKENDS) {
        if (name.endsWith('.vq')) {
          await ok(['dequantize', fixture(name), '-o', join(out, 'd.fvecs'), '--backend', backend, '-q']);
          assert.equal(sha(join(out, 'd.fvecs')), e.outputs[`dequantize ${backend}`], `${name} dequantize [${backend}]`);
          continue;
        }
        const args = ['index', 'search', fixture(name), fixture('queries.fvecs'), '-k', '5', ...(e.search ?? [])];
        await ok([...args, '-o', join(out, 'i.ivecs'), '--distances', join(out, 'd.fvecs'), '--backend', backend, '-q']);
        assert.equal(sha(join(out, 'i.ivecs')), e.outputs[`search ${backend} ids`], `${name} ids [${backend}]`);
        assert.equal(sha(join(out, 'd.fvecs')), e.outputs[`search ${backend} distances`], `${name} distances [${backend}]`);
      }
    });
  }

  test('today every scheme encodes the same .vq, and every index type builds the same .vidx, on both backends (one thread)', async () => {
    for (const [name, e] of Object.entries(expected.files)) {
      for (const backend of BACKENDS) {
        const rebuilt = join(out, 'rebuilt', `${backend}-${name}`);
        if (name.endsWith('.vq')) {
          const scheme = name.slice(0, -3);
          const metric = scheme === 'binary' || scheme === 'rabitq3' ? 'cosine' : 'l2';
          await ok([
            'quantize',
            fixture('base.fvecs'),
            '-o',
            rebuilt,
            '--scheme',
            scheme,
            '--metric',
            metric,
            '--backend',
            backend,
            '-q',
            '--no-search-report',
          ]);
        } else {
          await ok(['index', 'build', fixture('base.fvecs'), '-o', rebuilt, ...BUILDS[name], '--threads', '1', '--backend', backend, '-q']);
        }
        assert.equal(sha(rebuilt), e.sha256, `${name} [${backend}]: not the bytes ${expected.commit} wrote`);
      }
    }
  });
});
