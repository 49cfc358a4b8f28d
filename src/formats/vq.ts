import type { FileHandle } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { codeBytes, fileParams, MAX_DIM, RABITQ_HEADER_WORDS, schemeById, type Scheme } from '../quant/schemes.js';
import { readRabitqBlock } from '../quant/rabitq.js';
import { AtomicFile, readFully } from './atomic.js';
import { crcUpdate } from './checksum.js';
import { firstNonFinite } from './finite.js';
import { openInput, type InputFile } from './input.js';

/**
 * The `.vq` container (docs/format.md): a 64-byte header, the per-file parameters, the per-vector
 * parameters, the packed codes (each section starting on a 64-byte boundary), then a CRC-32 of
 * every byte before it.
 */
export const VQ_MAGIC = 'VECTROVQ';
export const VQ_VERSION = 1;
export const VQ_HEADER_BYTES = 64;
const ALIGN = 64;

export interface VqLayout {
  scheme: Scheme;
  dim: number;
  count: number;
  codeBytes: number;
  vectorParams: number;
  fileParams: number;
  fileParamsOffset: number;
  vectorParamsOffset: number;
  codesOffset: number;
  /** Offset of the CRC-32 trailer. */
  checksumOffset: number;
  fileBytes: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Where everything goes in a `.vq` file of `count` vectors; fully determined by its arguments. */
export function vqLayout(scheme: Scheme, dim: number, count: number): VqLayout {
  const cb = codeBytes(scheme, dim);
  const fp = fileParams(scheme, dim);
  const fileParamsOffset = VQ_HEADER_BYTES;
  const vectorParamsOffset = align(fileParamsOffset + fp * 4);
  const codesOffset = align(vectorParamsOffset + count * scheme.vectorParams * 4);
  const checksumOffset = codesOffset + count * cb;
  return {
    scheme,
    dim,
    count,
    codeBytes: cb,
    vectorParams: scheme.vectorParams,
    fileParams: fp,
    fileParamsOffset,
    vectorParamsOffset,
    codesOffset,
    checksumOffset,
    fileBytes: checksumOffset + 4,
  };
}

export function encodeVqHeader(l: VqLayout): Uint8Array {
  const out = new Uint8Array(VQ_HEADER_BYTES);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = VQ_MAGIC.charCodeAt(i);
  v.setUint32(8, VQ_VERSION, true);
  v.setUint32(12, l.scheme.id, true);
  v.setUint32(16, l.dim, true);
  v.setUint32(20, l.codeBytes, true);
  v.setBigUint64(24, BigInt(l.count), true);
  v.setUint32(32, l.vectorParams, true);
  v.setUint32(36, l.fileParams, true);
  v.setBigUint64(40, BigInt(l.fileParamsOffset), true);
  v.setBigUint64(48, BigInt(l.vectorParamsOffset), true);
  v.setBigUint64(56, BigInt(l.codesOffset), true);
  return out;
}

/** Parses and checks a header against the file size; every field must be what the layout implies. */
export function decodeVqHeader(bytes: Uint8Array, fileSize: number, path: string): VqLayout {
  const fail = (what: string) => new DataError(`${path}: ${what}`);
  if (bytes.length < VQ_HEADER_BYTES) throw fail(`truncated: ${bytes.length} bytes, a .vq header alone is ${VQ_HEADER_BYTES}`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== VQ_MAGIC) throw fail(`not a .vq file (bad magic)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, VQ_HEADER_BYTES);
  const version = v.getUint32(8, true);
  if (version !== VQ_VERSION) throw fail(`unsupported .vq version ${version} (this vectro reads version ${VQ_VERSION})`);
  const scheme = schemeById(v.getUint32(12, true));
  if (!scheme) throw fail(`unknown scheme id ${v.getUint32(12, true)} in the header`);
  const dim = v.getUint32(16, true);
  if (dim < 1 || dim > MAX_DIM) throw fail(`dimension ${dim} in the header is out of range (1 to ${MAX_DIM})`);
  const count = Number(v.getBigUint64(24, true));
  if (!Number.isSafeInteger(count)) throw fail(`vector count in the header is too large`);
  const layout = vqLayout(scheme, dim, count);
  const stored = [
    v.getUint32(20, true),
    v.getUint32(32, true),
    v.getUint32(36, true),
    Number(v.getBigUint64(40, true)),
    Number(v.getBigUint64(48, true)),
    Number(v.getBigUint64(56, true)),
  ];
  const expected = [layout.codeBytes, layout.vectorParams, layout.fileParams, layout.fileParamsOffset, layout.vectorParamsOffset, layout.codesOffset];
  if (stored.some((x, i) => x !== expected[i])) throw fail(`inconsistent header (sizes or offsets do not match ${scheme.name}, dim ${dim}, ${count} vectors)`);
  if (fileSize < layout.fileBytes) throw fail(`truncated: ${count} ${scheme.name} vectors need ${layout.fileBytes} bytes but the file has ${fileSize}`);
  if (fileSize > layout.fileBytes) throw fail(`${fileSize - layout.fileBytes} unexpected bytes after the data`);
  return layout;
}

/** CRC-32 of the first `length` bytes of a file, read in large blocks. */
async function crcOf(handle: FileHandle, length: number): Promise<number> {
  const block = new Uint8Array(Math.min(length, 8 << 20) || 1);
  let crc = 0;
  for (let at = 0; at < length; at += block.length) {
    const part = block.subarray(0, Math.min(block.length, length - at));
    if (!(await readFully(handle, part, at))) throw new Error('file shrank while computing its checksum');
    crc = crcUpdate(part, crc);
  }
  return crc;
}

/** Writes a `.vq` file; rows may arrive in any order, and nothing appears at `path` until `finish()`. */
export class VqWriter {
  private constructor(
    private readonly file: AtomicFile,
    readonly layout: VqLayout,
  ) {}

  static async create(path: string, scheme: Scheme, dim: number, count: number): Promise<VqWriter> {
    const layout = vqLayout(scheme, dim, count);
    const file = await AtomicFile.create(path);
    const writer = new VqWriter(file, layout);
    try {
      await file.write(encodeVqHeader(layout), 0);
      // Zero the padding and reserve the full size, so sections can be written in any order.
      await file.write(new Uint8Array(1), layout.fileBytes - 1);
    } catch (err) {
      await file.abort();
      throw err;
    }
    return writer;
  }

  /** Writes the per-file parameters: binary's center, rabitq's rotation words and center. */
  async writeFileParams(block: Float32Array): Promise<void> {
    await this.file.write(new Uint8Array(block.buffer, block.byteOffset, block.byteLength), this.layout.fileParamsOffset);
  }

  /** Writes the params and codes of rows starting at `start`. */
  async writeRows(start: number, params: Float32Array, codes: Uint8Array): Promise<void> {
    const { vectorParams, vectorParamsOffset, codesOffset, codeBytes: cb } = this.layout;
    await this.file.write(new Uint8Array(params.buffer, params.byteOffset, params.byteLength), vectorParamsOffset + start * vectorParams * 4);
    await this.file.write(codes, codesOffset + start * cb);
  }

  /** Appends the checksum and moves the file into place. */
  async finish(): Promise<void> {
    const crc = await crcOf(this.file.handle, this.layout.checksumOffset);
    const trailer = new Uint8Array(4);
    new DataView(trailer.buffer).setUint32(0, crc, true);
    await this.file.write(trailer, this.layout.checksumOffset);
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}

/** Reads a `.vq` file, validated (header, size and, unless told otherwise, checksum) on open. */
export class VqReader {
  private constructor(
    private readonly input: InputFile,
    readonly layout: VqLayout,
    readonly checksum: number,
  ) {}

  static async open(path: string, options: { verify?: boolean } = {}): Promise<VqReader> {
    const input = await openInput(path);
    try {
      const head = new Uint8Array(Math.min(VQ_HEADER_BYTES, input.size));
      await readFully(input.handle, head, 0);
      const layout = decodeVqHeader(head, input.size, path);
      const tail = new Uint8Array(4);
      await readFully(input.handle, tail, layout.checksumOffset);
      const stored = new DataView(tail.buffer).getUint32(0, true);
      const reader = new VqReader(input, layout, stored);
      if (options.verify !== false) {
        const actual = await crcOf(input.handle, layout.checksumOffset);
        if (actual !== stored) {
          throw new DataError(`${path}: checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupt`);
        }
        await reader.checkParams(path);
      }
      return reader;
    } catch (err) {
      await input.handle.close();
      throw err;
    }
  }

  /**
   * Every parameter a decoder multiplies by must be what an encoder can write: the center finite
   * (and rabitq's rotation words known); per vector, the int8 scale, the int4/int2 step, the binary
   * s and rabitq's factors finite and not negative, the int4/int2 lo finite. (A valid checksum says
   * the bytes are as written, not that a writer was vectro.)
   */
  private async checkParams(path: string): Promise<void> {
    const { count, vectorParams, scheme, dim } = this.layout;
    const fileBlock = await this.readFileParams();
    const center = scheme.family === 'rabitq' ? fileBlock.subarray(RABITQ_HEADER_WORDS) : fileBlock;
    const c = firstNonFinite(center);
    if (c >= 0) throw new DataError(`${path}: the center's dimension ${c} is ${center[c]}; it must be finite`);
    if (scheme.family === 'rabitq') {
      try {
        readRabitqBlock(fileBlock, dim);
      } catch (err) {
        throw new DataError(`${path}: bad ${scheme.name} parameters: ${(err as Error).message}`);
      }
    }
    const names = scheme.paramNames;
    const block = 1 << 16;
    const params = new Float32Array(Math.min(count, block) * vectorParams);
    for (let start = 0; start < count; start += block) {
      const p = params.subarray(0, Math.min(block, count - start) * vectorParams);
      await readFully(this.input.handle, new Uint8Array(p.buffer, p.byteOffset, p.byteLength), this.layout.vectorParamsOffset + start * vectorParams * 4);
      for (let i = 0; i < p.length; i++) {
        const name = names[i % vectorParams];
        if (!(p[i] - p[i] === 0 && (name === 'lo' || p[i] >= 0))) {
          const why = name === 'lo' ? 'it must be finite' : 'it must be finite and not negative';
          throw new DataError(`${path}: the ${name} of vector ${start + Math.floor(i / vectorParams)} is ${p[i]}; ${why}`);
        }
      }
    }
  }

  /** The layout from a checked header, without reading the rest (for planning outputs). */
  static async probe(path: string): Promise<VqLayout> {
    const reader = await VqReader.open(path, { verify: false });
    await reader.close();
    return reader.layout;
  }

  /** The per-file parameters as written (binary's center; rabitq's rotation words and center). */
  async readFileParams(): Promise<Float32Array> {
    const block = new Float32Array(this.layout.fileParams);
    await readFully(this.input.handle, new Uint8Array(block.buffer), this.layout.fileParamsOffset);
    return block;
  }

  /** Reads the params and codes of rows [start, start + n) into the given buffers. */
  async readRows(start: number, params: Float32Array, codes: Uint8Array): Promise<void> {
    const { vectorParams, vectorParamsOffset, codesOffset, codeBytes: cb } = this.layout;
    await readFully(this.input.handle, new Uint8Array(params.buffer, params.byteOffset, params.byteLength), vectorParamsOffset + start * vectorParams * 4);
    await readFully(this.input.handle, codes, codesOffset + start * cb);
  }

  async close(): Promise<void> {
    await this.input.handle.close();
  }
}

export const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
