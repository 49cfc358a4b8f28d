/**
 * FastScan: rabitq codes packed in blocks of 32 rows, looked up 4 coordinates at a time through
 * 16-entry tables (crates/vectro-core/src/quant/fastscan.rs has the layout and the bounds). This is
 * the scalar kernel; the tables hold the exact 16-bit sums of the quantized query, so the dot
 * products, and the estimates, are those of the row-major scan, bit for bit.
 */
import { FASTSCAN_BLOCK, MAX_DIM, rabitqCodeBytes, rabitqPackedBytes } from '../../quant/schemes.js';
import { checkEstimate, RabitqQuery } from './rabitq.js';

/** Packs row-major bit-plane codes into FastScan blocks; `out` holds `rabitqPackedBytes(bits, dim, rows)` bytes. */
export function rabitqPack(bits: number, dim: number, codes: Uint8Array, out: Uint8Array): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`rabitq bits must be 1 to 8, got ${bits}`);
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`dim must be 1 to ${MAX_DIM}, got ${dim}`);
  const cb = rabitqCodeBytes(bits, dim);
  const rows = codes.length / cb;
  if (!Number.isInteger(rows)) throw new RangeError(`${codes.length} code bytes are not whole rows of ${cb} bytes`);
  const need = rabitqPackedBytes(bits, dim, rows);
  if (out.length !== need) throw new RangeError(`the packed output holds ${out.length} bytes, ${rows} rows need ${need}`);
  const plane = cb / bits;
  out.fill(0);
  for (let row = 0; row < rows; row++) {
    const block = Math.floor(row / FASTSCAN_BLOCK);
    const j = row % FASTSCAN_BLOCK;
    const slot = j % 16;
    const shift = j < 16 ? 0 : 4;
    for (let b = 0; b < bits; b++) {
      const regs = (block * bits + b) * plane * 32;
      const first = row * cb + b * plane;
      for (let r = 0; r < plane; r++) {
        const byte = codes[first + r];
        out[regs + r * 32 + slot] |= (byte & 15) << shift;
        out[regs + r * 32 + 16 + slot] |= (byte >> 4) << shift;
      }
    }
  }
}

/** A query's tables: T[g][e] for group g of 4 coordinates and nibble e, and the offset a plane's sum needs. */
export class FastScanTables {
  readonly table: Uint16Array;
  readonly offset: number;

  constructor(s: Int32Array) {
    const groups = s.length / 4;
    const table = new Uint16Array(groups * 16);
    let offset = 0;
    for (let g = 0; g < groups; g++) {
      let least = 0;
      for (let i = 0; i < 4; i++) least += Math.min(s[4 * g + i], 0);
      offset += least;
      for (let e = 0; e < 16; e++) {
        let sum = 0;
        for (let i = 0; i < 4; i++) if ((e >> i) & 1) sum += s[4 * g + i];
        table[g * 16 + e] = sum - least;
      }
    }
    this.table = table;
    this.offset = offset;
  }

  /** The integer dot products of one block's 32 rows (planes of `planeBytes` from `at`), into `dots`. */
  blockDots(bits: number, packed: Uint8Array, at: number, planeBytes: number, dots: Float64Array, sums: Uint32Array): void {
    const { table, offset } = this;
    dots.fill(0);
    for (let b = 0; b < bits; b++) {
      sums.fill(0);
      const first = at + b * planeBytes;
      for (let r = 0; r < planeBytes / 32; r++) {
        for (let half = 0; half < 2; half++) {
          const t = (2 * r + half) * 16;
          const bytes = first + r * 32 + half * 16;
          for (let j = 0; j < 16; j++) {
            const c = packed[bytes + j];
            sums[j] += table[t + (c & 15)];
            sums[j + 16] += table[t + (c >> 4)];
          }
        }
      }
      const weight = 2 ** b;
      for (let j = 0; j < FASTSCAN_BLOCK; j++) dots[j] += (sums[j] + offset) * weight;
    }
  }
}

/** Estimates from each query to every packed row (`dists[q * rows + j]`): the row-major scan's values. */
export function rabitqScan(
  bits: number,
  words: Float32Array,
  dim: number,
  queries: Float32Array,
  l2: boolean,
  packed: Uint8Array,
  params: Float32Array,
  eps0: number,
  dists: Float32Array,
  bounds: Float32Array,
): void {
  const size = (rows: number) => rabitqPackedBytes(bits, dim, rows);
  const { block, rows, nq } = checkEstimate(bits, words, dim, queries, packed, size, params, dists, bounds, eps0);
  const plane = rabitqCodeBytes(bits, dim) / bits;
  const dots = new Float64Array(FASTSCAN_BLOCK);
  const sums = new Uint32Array(FASTSCAN_BLOCK);
  for (let q = 0; q < nq; q++) {
    const query = RabitqQuery.around(bits, queries.subarray(q * dim, (q + 1) * dim), block, l2);
    const tables = new FastScanTables(query.s);
    for (let first = 0; first < rows; first += FASTSCAN_BLOCK) {
      tables.blockDots(bits, packed, (first / FASTSCAN_BLOCK) * bits * plane * 32, plane * 32, dots, sums);
      const n = Math.min(FASTSCAN_BLOCK, rows - first);
      for (let j = 0; j < n; j++) {
        const row = first + j;
        dists[q * rows + row] = query.finish(dots[j], params, row, eps0);
        bounds[q * rows + row] = query.lastBound;
      }
    }
  }
}
