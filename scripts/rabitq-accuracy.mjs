// Recall@10 of a flat RaBitQ scan, keeping the 10·r best estimates and re-scoring them exactly
// (r = 1, 2, 5, 10), for vectro's rabitqB and FAISS's IndexRaBitQ (IndexRefineFlat, k_factor r)
// on the same data: siftsmall, and synthetic SIFT-like sets at 128-d and 768-d. Needs `npm run build`
// and, for FAISS, VECTRO_PYTHON pointing at a Python with faiss-cpu.
// Usage: node scripts/rabitq-accuracy.mjs [out.md]
import { writeFileSync } from 'node:fs';
import { selectBackend } from '../dist/src/backends/select.js';
import { quantize } from '../dist/src/quant/memory.js';
import { DEFAULT_EPS0 } from '../dist/src/quant/rabitq.js';
import { VectorReader } from '../dist/src/formats/vectors.js';
import { syntheticGenerator } from '../dist/src/datasets/synthetic.js';
import { FaissWorker, probeFaiss } from '../dist/src/peers/faiss.js';

const K = 10;
const RS = [1, 2, 5, 10];
const BITS = [1, 2, 4, 8];
const backend = selectBackend('auto');

async function readAll(path) {
  const r = await VectorReader.open(path);
  const x = new Float32Array(r.info.count * r.info.dim);
  await r.read(0, r.info.count, x);
  await r.close();
  return { x, dim: r.info.dim };
}

function synthetic(n, dim, queries) {
  const g = syntheticGenerator(dim, 42, 'sift');
  const base = new Float32Array(n * dim);
  const q = new Float32Array(queries * dim);
  g.base(base);
  g.queries(q);
  return { base, queries: q, dim };
}

function exactTopK(base, queries, dim) {
  const nq = queries.length / dim;
  const ids = new Uint32Array(nq * K);
  backend.flatSearch('l2', base, dim, queries, K, ids, new Float32Array(nq * K), 0);
  return ids;
}

const recall = (ids, truth, nq) => {
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const t = new Set(truth.subarray(q * K, (q + 1) * K));
    for (let j = 0; j < K; j++) hits += t.has(ids[q * K + j]) ? 1 : 0;
  }
  return hits / (nq * K);
};

function vectroRecalls(bits, base, queries, dim, truth) {
  const n = base.length / dim;
  const nq = queries.length / dim;
  const q = quantize(base, dim, `rabitq${bits}`, { backend: 'native' });
  const dists = new Float32Array(nq * n);
  backend.rabitqEstimate(bits, q.center, dim, queries, true, q.codes, q.params, DEFAULT_EPS0, dists, new Float32Array(nq * n), 1);
  return RS.map((r) => {
    const ids = new Uint32Array(nq * K);
    const idx = new Uint32Array(K * r);
    const top = new Float32Array(K * r);
    for (let i = 0; i < nq; i++) {
      backend.topk(dists.subarray(i * n, (i + 1) * n), K * r, idx, top);
      const exact = Array.from(idx, (j) => {
        let d = 0;
        for (let c = 0; c < dim; c++) d += (queries[i * dim + c] - base[j * dim + c]) ** 2;
        return [d, j];
      }).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (let j = 0; j < K; j++) ids[i * K + j] = exact[j][1];
    }
    return recall(ids, truth, nq);
  });
}

async function faissRecalls(bits, base, queries, dim, truth) {
  const nq = queries.length / dim;
  const out = [];
  for (const r of RS) {
    const worker = await FaissWorker.start();
    try {
      await worker.build({ factory: bits === 1 ? 'RaBitQ' : `RaBitQ${bits}`, metric: 'l2', base, dim, refine: r, threads: 1 });
      const once = { min: 1, max: 1, minSeconds: 0, maxSeconds: 0, passSeconds: 1e9, passQueries: 1e12 };
      const s = await worker.search({ queries, k: K, params: {}, threads: 1, warmup: 0, passes: once });
      out.push(recall(s.ids, truth, nq));
    } finally {
      worker.close();
    }
  }
  return out;
}

const sets = [];
const sift = await readAll('fixtures/siftsmall/siftsmall_base.fvecs');
const siftQ = await readAll('fixtures/siftsmall/siftsmall_query.fvecs');
sets.push({ name: 'siftsmall 10,000 x 128, 100 queries', base: sift.x, queries: siftQ.x, dim: 128 });
for (const dim of [128, 768]) {
  const s = synthetic(20_000, dim, 100);
  sets.push({ name: `synthetic (sift preset) 20,000 x ${dim}, 100 queries`, base: s.base, queries: s.queries, dim });
}

const faiss = (await probeFaiss()).ok;
const lines = [
  '# RaBitQ flat-scan accuracy: vectro against FAISS',
  '',
  `recall@10 keeping the 10·r best estimates and re-scoring them exactly; one thread; ${new Date().toISOString()}.`,
  'FAISS: IndexRaBitQ (`RaBitQ`, `RaBitQB`) inside IndexRefineFlat with k_factor r. vectro: `rabitqB`, `vectro quantize` codes, exact re-scoring of the 10·r best.',
  '',
];
for (const set of sets) {
  const truth = exactTopK(set.base, set.queries, set.dim);
  lines.push(`## ${set.name}`, '', '| bits | r | vectro | FAISS | vectro - FAISS |', '| ---: | ---: | ---: | ---: | ---: |');
  for (const bits of BITS) {
    const v = vectroRecalls(bits, set.base, set.queries, set.dim, truth);
    const f = faiss ? await faissRecalls(bits, set.base, set.queries, set.dim, truth) : RS.map(() => NaN);
    RS.forEach((r, i) =>
      lines.push(
        `| ${bits} | ${r} | ${v[i].toFixed(3)} | ${faiss ? f[i].toFixed(3) : '-'} | ${faiss ? (v[i] - f[i] >= 0 ? '+' : '') + (v[i] - f[i]).toFixed(3) : '-'} |`,
      ),
    );
    console.error(`${set.name} bits ${bits}: vectro ${v.map((x) => x.toFixed(3))} faiss ${f.map((x) => x.toFixed(3))}`);
  }
  lines.push('');
}
const out = process.argv[2];
if (out) writeFileSync(out, lines.join('\n'));
else console.log(lines.join('\n'));
