/**
 * RaBitQ's seeded rotation: sign flips, Walsh-Hadamard transforms and Kac mixing in float64.
 * Mirrors crates/vectro-core/src/quant/rotation.rs step for step, so the results are the same bits.
 */
import { SplitMix64 } from '../../random.js';

export const ROTATION_ROUNDS = 4;

/** P: the dimension rounded up to a multiple of 64. */
export function paddedDim(dim: number): number {
  return Math.ceil(dim / 64) * 64;
}

/** SplitMix64 as 64-bit words, each returned as [low 32 bits, high 32 bits]. */
export function splitMix64Words(seed: bigint, count: number): Uint32Array {
  const out = new Uint32Array(2 * count);
  const rng = new SplitMix64(seed);
  for (let i = 0; i < count; i++) {
    const z = rng.next();
    out[2 * i] = Number(z & 0xffffffffn);
    out[2 * i + 1] = Number(z >> 32n);
  }
  return out;
}

export class Rotation {
  readonly padded: number;
  /** L: the largest power of two not above `padded`. */
  private readonly pow2: number;
  /** ROUNDS x padded sign bits, 32 per word (1 = negate). */
  private readonly signs: Uint32Array;
  private readonly scale: number;

  constructor(
    seed: bigint,
    readonly dim: number,
  ) {
    this.padded = paddedDim(dim);
    let pow2 = 1;
    while (pow2 * 2 <= this.padded) pow2 *= 2;
    this.pow2 = pow2;
    this.signs = splitMix64Words(seed, (ROTATION_ROUNDS * this.padded) / 64);
    this.scale = 1 / Math.sqrt(this.pow2);
  }

  private flip(round: number, x: Float64Array): void {
    const words = this.signs;
    const first = (round * this.padded) / 32;
    for (let i = 0; i < this.padded; i++) {
      if ((words[first + (i >>> 5)] >>> (i & 31)) & 1) x[i] = -x[i];
    }
  }

  private hadamard(round: number, x: Float64Array): void {
    const start = round % 2 === 0 ? 0 : this.padded - this.pow2;
    const n = this.pow2;
    for (let h = 1; h < n; h *= 2) {
      for (let block = start; block < start + n; block += 2 * h) {
        for (let j = block; j < block + h; j++) {
          const a = x[j];
          const b = x[j + h];
          x[j] = a + b;
          x[j + h] = a - b;
        }
      }
    }
    for (let j = start; j < start + n; j++) x[j] *= this.scale;
  }

  private mix(x: Float64Array): void {
    if (this.pow2 === this.padded) return;
    const r = Math.sqrt(0.5);
    const half = this.padded / 2;
    for (let i = 0; i < half; i++) {
      const a = x[i];
      const b = x[i + half];
      x[i] = (a + b) * r;
      x[i + half] = (a - b) * r;
    }
  }

  /** Rotates `x` (`padded` values) in place. */
  apply(x: Float64Array): void {
    for (let round = 0; round < ROTATION_ROUNDS; round++) {
      this.flip(round, x);
      this.hadamard(round, x);
      this.mix(x);
    }
  }

  /** Undoes `apply` in place. */
  invert(x: Float64Array): void {
    for (let round = ROTATION_ROUNDS - 1; round >= 0; round--) {
      this.mix(x);
      this.hadamard(round, x);
      this.flip(round, x);
    }
  }
}
