/**
 * rabitq's file-parameter block: `[rotation kind, metric, seed low, seed high, P, 0, 0, 0]` as
 * 32-bit words, then the center (dim float32), as crates/vectro-core/src/quant/rabitq.rs reads it.
 * The block travels as a Float32Array; the words are read through a Uint32Array over its bytes,
 * never as float values (a seed's bits may spell a NaN).
 */
import type { IndexMetricName } from '../distance/metrics.js';
import { paddedDim, Rotation } from '../backends/js/rotation.js';
import { RABITQ_HEADER_WORDS, type Scheme } from './schemes.js';

export const RABITQ_FACTORS = 3;
export const ROTATION_HADAMARD = 1;
/** The papers' confidence multiplier: about 94% of estimates fall within their bound at 1.9. */
export const DEFAULT_EPS0 = 1.9;
export const RABITQ_METRICS: readonly IndexMetricName[] = ['l2', 'ip', 'cosine'];

export interface RabitqBlock {
  rotation: Rotation;
  center: Float32Array;
  metric: IndexMetricName;
  seed: bigint;
}

/** The block for `center` (already of the normalised vectors for cosine) under `seed`. */
export function rabitqBlock(seed: bigint, metric: IndexMetricName, center: Float32Array): Float32Array {
  const dim = center.length;
  const block = new Float32Array(RABITQ_HEADER_WORDS + dim);
  const words = new Uint32Array(block.buffer);
  words.set([ROTATION_HADAMARD, RABITQ_METRICS.indexOf(metric), Number(seed & 0xffffffffn), Number(seed >> 32n), paddedDim(dim)]);
  block.set(center, RABITQ_HEADER_WORDS);
  return block;
}

const rotations = new Map<string, Rotation>();

/** Reads and checks a block (the same checks and messages as the core's `read_block`). */
export function readRabitqBlock(block: Float32Array, dim: number): RabitqBlock {
  if (block.length !== RABITQ_HEADER_WORDS + dim) {
    throw new RangeError(`rabitq parameters hold ${block.length} words, dim ${dim} needs ${RABITQ_HEADER_WORDS + dim}`);
  }
  const w = new Uint32Array(block.buffer, block.byteOffset, RABITQ_HEADER_WORDS);
  if (w[0] !== ROTATION_HADAMARD) throw new RangeError(`unknown rotation kind ${w[0]}`);
  if (w[1] > 2) throw new RangeError(`unknown metric id ${w[1]}`);
  if (w[4] !== paddedDim(dim)) throw new RangeError(`padded dimension ${w[4]} does not match dim ${dim} (expected ${paddedDim(dim)})`);
  for (let i = 5; i < RABITQ_HEADER_WORDS; i++) if (w[i] !== 0) throw new RangeError('reserved rotation words are not zero');
  const center = block.subarray(RABITQ_HEADER_WORDS);
  for (let i = 0; i < dim; i++) if (!Number.isFinite(center[i])) throw new RangeError('the center holds NaN or infinite values');
  const seed = (BigInt(w[3]) << 32n) | BigInt(w[2]);
  const key = `${seed}:${dim}`;
  let rotation = rotations.get(key);
  if (!rotation) {
    if (rotations.size > 64) rotations.clear();
    rotation = new Rotation(seed, dim);
    rotations.set(key, rotation);
  }
  return { rotation, center, metric: RABITQ_METRICS[w[1]], seed };
}

/** What a scheme stores once per file, from the data's center: nothing, the center, or rabitq's block. */
export function fileParamsFor(scheme: Scheme, center: Float32Array, options: { seed?: bigint; metric?: IndexMetricName } = {}): Float32Array {
  if (scheme.family === 'rabitq') return rabitqBlock(options.seed ?? DEFAULT_ROTATION_SEED, options.metric ?? 'l2', center);
  return scheme.hasCenter ? center : new Float32Array(0);
}

/** The rotation seed when none is given. */
export const DEFAULT_ROTATION_SEED = 42n;
