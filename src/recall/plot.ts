import { formatRate } from '../units.js';
import { paretoFrontier } from './pareto.js';
import { runsOf } from './report.js';
import type { RecallFile } from './schema.js';

/** Distinguishable on white and in greyscale print (Okabe-Ito, then darker greys). */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;

const W = 980;
const H = 540;
const PLOT = { left: 80, right: 590, top: 50, bottom: 470 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => Number(v.toFixed(1)).toString();

function marker(kind: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const s = 4;
  if (kind === 'circle') return `<circle cx="${num(x)}" cy="${num(y)}" r="${s}" fill="${colour}"/>`;
  if (kind === 'square') return `<rect x="${num(x - s)}" y="${num(y - s)}" width="${2 * s}" height="${2 * s}" fill="${colour}"/>`;
  if (kind === 'triangle') return `<path d="M${num(x)} ${num(y - s - 1)}L${num(x + s + 1)} ${num(y + s)}L${num(x - s - 1)} ${num(y + s)}Z" fill="${colour}"/>`;
  return `<path d="M${num(x)} ${num(y - s - 1)}L${num(x + s + 1)} ${num(y)}L${num(x)} ${num(y + s + 1)}L${num(x - s - 1)} ${num(y)}Z" fill="${colour}"/>`;
}

/**
 * Recall against queries per second (one thread, log scale), one line per configuration and
 * backend through its Pareto frontier, as ann-benchmarks draws them. A standalone SVG file.
 */
export function renderRecallSvg(file: RecallFile): string {
  const runs = runsOf(file)
    .map((r) => ({ ...r, points: paretoFrontier(file.points.filter((p) => p.config === r.config && p.backend === r.backend)) }))
    .filter((r) => r.points.length > 0);
  const all = runs.flatMap((r) => r.points);
  const minRecall = all.length ? Math.min(...all.map((p) => p.recall)) : 0;
  const x0 = Math.max(0, Math.floor(minRecall * 10 - 1e-9) / 10);
  const qps = all.map((p) => p.qps);
  // Whole decades around the data, at least one.
  const y0 = qps.length ? Math.floor(Math.log10(Math.min(...qps))) : 0;
  const y1 = Math.max(y0 + 1, qps.length ? Math.ceil(Math.log10(Math.max(...qps))) : 1);
  const sx = (r: number) => PLOT.left + ((r - x0) / (1 - x0 || 1)) * (PLOT.right - PLOT.left);
  const sy = (q: number) => PLOT.bottom - ((Math.log10(q) - y0) / (y1 - y0 || 1)) * (PLOT.bottom - PLOT.top);
  const k = file.dataset.k;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PLOT.left}" y="24" font-size="15" font-weight="bold">${esc(`${file.dataset.name}: recall@${k} against queries per second`)}</text>`,
    `<text x="${PLOT.left}" y="40" fill="#555">${esc(`${file.dataset.count.toLocaleString('en-US')} x ${file.dataset.dim}, ${file.dataset.queries.toLocaleString('en-US')} queries, ${file.dataset.metric}; ${file.machine.cpu}; vectro ${file.machine.vectro}`)}</text>`,
  ];
  // Grid and ticks: recall every 0.1 (0.05 near the top), QPS at 1, 2 and 5 per decade.
  const xTicks: number[] = [];
  for (let r = x0; r <= 1 + 1e-9; r += 1 - x0 > 0.3 ? 0.1 : 0.05) xTicks.push(Number(r.toFixed(2)));
  for (const r of xTicks) {
    out.push(`<line x1="${num(sx(r))}" y1="${PLOT.top}" x2="${num(sx(r))}" y2="${PLOT.bottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${num(sx(r))}" y="${PLOT.bottom + 18}" text-anchor="middle">${r.toFixed(2)}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    for (const m of [1, 2, 5]) {
      const q = m * 10 ** e;
      if (Math.log10(q) > y1 + 1e-9) break;
      out.push(`<line x1="${PLOT.left}" y1="${num(sy(q))}" x2="${PLOT.right}" y2="${num(sy(q))}" stroke="${m === 1 ? '#d0d0d0' : '#f0f0f0'}"/>`);
      if (m === 1 || y1 - y0 <= 2) out.push(`<text x="${PLOT.left - 8}" y="${num(sy(q) + 4)}" text-anchor="end">${formatRate(q)}</text>`);
    }
  }
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">recall@${k}</text>`);
  out.push(`<text transform="translate(22 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">queries per second (1 thread, log scale)</text>`);
  runs.forEach((run, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const kind = MARKERS[i % MARKERS.length];
    const path = run.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${num(sx(p.recall))} ${num(sy(p.qps))}`).join('');
    out.push(`<g><title>${esc(`${run.config} [${run.backend}]`)}</title>`);
    if (run.points.length > 1) out.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of run.points) out.push(marker(kind, sx(p.recall), sy(p.qps), colour));
    out.push('</g>');
    const ly = PLOT.top + 10 + i * 36;
    out.push(`<line x1="${PLOT.right + 20}" y1="${ly}" x2="${PLOT.right + 44}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(marker(kind, PLOT.right + 32, ly, colour));
    out.push(`<text x="${PLOT.right + 52}" y="${ly + 4}">${esc(run.config)}</text>`);
    out.push(`<text x="${PLOT.right + 52}" y="${ly + 19}" fill="#555">${esc(run.backend)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}
