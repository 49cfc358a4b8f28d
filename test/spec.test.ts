/**
 * The one spec grammar (src/spec.ts): canonical forms parse back to themselves, keep and rerank mean
 * what they say, `index build --spec` builds the same bytes as the flags, and the spec `index info`
 * prints for a file builds that very file again.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatSpec, parseSpec, toFaissFactory } from '../src/spec.js';
import { CliHost, ROOT, tempDir } from './helpers.js';

const host = new CliHost();
after(() => host.close());
const dir = tempDir();
const COMPAT = join(ROOT, 'fixtures', 'compat');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('canonical specs parse back to themselves; defaults and keep are filled in', () => {
  const canonical = [
    'flat',
    'hnsw,m=16,efc=200,storage=f32',
    'hnsw,m=8,efc=40,storage=int8,keep=1',
    'hnsw,m=16,efc=200,storage=rabitq4,rerank=50',
    'ivf,nlist=1024,storage=int8,rerank=20',
    'ivf,nlist=64,storage=rabitq1',
    'faiss:IVF1024,RaBitQfs4,refine=5',
    'faiss:HNSW32,efc=100',
  ];
  for (const s of canonical) assert.equal(formatSpec(parseSpec(s)), s);
  assert.equal(formatSpec(parseSpec('hnsw')), 'hnsw,m=16,efc=200,storage=f32');
  assert.equal(formatSpec(parseSpec('hnsw,storage=int8,keep=1,rerank=20')), 'hnsw,m=16,efc=200,storage=int8,rerank=20', 'rerank implies keep');
  const rerank = parseSpec('ivf,nlist=8,storage=rabitq4,rerank=10');
  assert.deepEqual([rerank.keep, rerank.rerank], [true, 10]);
  assert.deepEqual([parseSpec('hnsw,storage=int8').keep, parseSpec('hnsw,storage=int8,keep=0').keep], [false, false]);
  assert.deepEqual(
    ['flat', 'hnsw,m=32', 'ivf,nlist=4096,storage=int8', 'faiss:OPQ32,PQ32'].map((s) => toFaissFactory(parseSpec(s))),
    ['Flat', 'HNSW32', 'IVF4096,Flat', 'OPQ32,PQ32'],
  );
});

test('errors name the flag, the spec and the rule', () => {
  const cases: [string, RegExp][] = [
    ['hnsw,keep=1', /^--spec 'hnsw,keep=1': keep: an f32 index holds its vectors already$/],
    ['hnsw,keep=2', /keep: must be at most 1, got 2/],
    ['ivf,nlist=4,m=8', /unknown parameter 'm' \(ivf takes nlist, storage, keep, rerank\)$/],
    ['ivf,storage=int8', /ivf needs nlist=N/],
    ['pq,m=8', /unknown index type 'pq'/],
  ];
  for (const [spec, message] of cases)
    assert.throws(
      () => parseSpec(spec, '--spec'),
      (e: Error) => message.test(e.message),
      spec,
    );
});

test('index build --spec writes the bytes the flags write; --spec and those flags are exclusive', async () => {
  const base = join(COMPAT, 'base.fvecs');
  const pairs: [string, string[]][] = [
    ['hnsw,m=6,efc=20,storage=int8,keep=1', ['--m', '6', '--ef-construction', '20', '--storage', 'int8', '--keep-vectors']],
    ['ivf,nlist=8,storage=rabitq4,rerank=10', ['--type', 'ivf', '--nlist', '8', '--storage', 'rabitq4', '--keep-vectors']],
    ['flat', ['--type', 'flat']],
  ];
  for (const [spec, flags] of pairs) {
    for (const [name, args] of [
      ['spec', ['--spec', spec]],
      ['flags', flags],
    ] as const) {
      const r = await host.run(['index', 'build', base, '-o', join(dir, `${name}.vidx`), ...args, '--threads', '1', '-q']);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(sha(join(dir, 'spec.vidx')), sha(join(dir, 'flags.vidx')), spec);
  }
  const both = await host.run(['index', 'build', base, '-o', join(dir, 'x.vidx'), '--spec', 'hnsw', '--storage', 'int8']);
  assert.equal(both.code, 2);
  assert.equal(both.stderr, 'error: --spec: give the index in the spec or as flags, not both (--storage)\n');
  const faiss = await host.run(['index', 'build', base, '-o', join(dir, 'x.vidx'), '--spec', 'faiss:HNSW16']);
  assert.match(faiss.stderr, /^error: --spec 'faiss:HNSW16': a faiss: spec runs on the FAISS peer/);
});

test('the spec index info prints builds the very file again (every index of fixtures/compat)', async () => {
  const indexes = Object.keys(JSON.parse(readFileSync(join(COMPAT, 'expected.json'), 'utf8')).files).filter((n) => n.endsWith('.vidx'));
  assert.ok(indexes.length >= 10);
  for (const name of indexes) {
    const info = await host.run(['index', 'info', join(COMPAT, name), '--json']);
    assert.equal(info.code, 0, info.stderr);
    const { spec, metric } = JSON.parse(info.stdout) as { spec: string; metric: string };
    const out = join(dir, `again-${name}`);
    const r = await host.run(['index', 'build', join(COMPAT, 'base.fvecs'), '-o', out, '--spec', spec, '--metric', metric, '--threads', '1', '-q']);
    assert.equal(r.code, 0, `${name} (${spec}): ${r.stderr}`);
    assert.equal(sha(out), sha(join(COMPAT, name)), `${name}: ${spec}`);
  }
});
