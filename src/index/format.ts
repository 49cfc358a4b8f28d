import { DataError } from '../errors.js';
import { AtomicFile, readFully } from '../formats/atomic.js';
import { crcUpdate } from '../formats/checksum.js';
import { openInput } from '../formats/input.js';
import { INDEX_METRICS, type IndexMetricName } from '../distance/metrics.js';
import { MAX_DIM } from '../quant/schemes.js';
import { decodeGraph, encodeGraph } from './graph-codec.js';

/**
 * The `.vidx` index file (docs/format.md): a 128-byte header, then 64-byte-aligned sections
 * (vectors, codes, scales, center, levels, graph), then a CRC-32 of everything before it. Sections a
 * kind of index does not use are empty: a flat index has only vectors; an int8 or binary index has
 * vectors only when it keeps them.
 */
export const VIDX_MAGIC = 'VECTROIX';
export const VIDX_VERSION = 2;
const HEADER_BYTES = 128;
const ALIGN = 64;

export const INDEX_TYPES = { hnsw: 1, flat: 2 } as const;
export type IndexType = keyof typeof INDEX_TYPES;
/** How vectors are stored (ids as in the Rust `Storage`). */
export const STORAGES = { f32: 0, int8: 1, binary: 2 } as const;
export type Storage = keyof typeof STORAGES;
const KEEP_VECTORS = 1;
/** Highest HNSW level (as in the Rust index). */
export const MAX_LEVEL = 15;

/** Bytes of codes per vector. */
export function codeBytes(storage: Storage, dim: number): number {
  return storage === 'f32' ? 0 : storage === 'int8' ? dim : Math.ceil(dim / 8);
}

/** Everything an index file holds. */
export interface IndexData {
  type: IndexType;
  metric: IndexMetricName;
  storage: Storage;
  /** int8 and binary: whether the float32 vectors are kept too (for exact re-scoring). */
  keepVectors: boolean;
  dim: number;
  count: number;
  /** HNSW only (0 for flat): M, efConstruction, the top level, the entry point (-1: empty). */
  m: number;
  efConstruction: number;
  maxLevel: number;
  entry: number;
  /** The level generator's state, as two u32 halves, so adding after a reload stays reproducible. */
  seedHigh: number;
  seedLow: number;
  /** f32: the vectors (cosine: normalised); int8 and binary: the kept ones, or empty. */
  vectors: Float32Array;
  /** int8 codes or binary bits, `codeBytes` per vector (empty for f32). */
  codes: Uint8Array;
  /** int8: one scale per vector (else empty). */
  scales: Float32Array;
  /** binary: the per-dimension center (else empty). */
  center: Float32Array;
  levels: Uint8Array;
  /** Bottom layer: `count` slots of `1 + 2m` u32 (count, then ids in increasing order). */
  links0: Uint32Array;
  /** Upper layers of every node with level > 0, in node order, `level * (1 + m)` u32 each. */
  upper: Uint32Array;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const byName = <T extends Record<string, number>>(table: T, id: number) => Object.entries(table).find(([, v]) => v === id)?.[0] as keyof T | undefined;

type SectionName = 'vectors' | 'codes' | 'scales' | 'center' | 'levels' | 'graph';

interface Layout {
  sections: { name: SectionName; offset: number; bytes: number }[];
  checksumOffset: number;
  fileBytes: number;
}

function layout(d: Pick<IndexData, 'count' | 'dim' | 'm' | 'storage' | 'keepVectors'> & { graphBytes: number }): Layout {
  const hasVectors = d.storage === 'f32' || d.keepVectors;
  const sizes: [SectionName, number][] = [
    ['vectors', hasVectors ? d.count * d.dim * 4 : 0],
    ['codes', d.count * codeBytes(d.storage, d.dim)],
    ['scales', d.storage === 'int8' ? d.count * 4 : 0],
    ['center', d.storage === 'binary' ? d.dim * 4 : 0],
    ['levels', d.m > 0 ? d.count : 0],
    ['graph', d.graphBytes],
  ];
  let at = HEADER_BYTES;
  const sections = sizes.map(([name, bytes]) => {
    const s = { name, offset: at, bytes };
    at = align(at + bytes);
    return s;
  });
  const last = sections[sections.length - 1];
  const end = last.offset + last.bytes;
  return { sections, checksumOffset: end, fileBytes: end + 4 };
}

function encodeHeader(d: IndexData, graphBytes: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = VIDX_MAGIC.charCodeAt(i);
  v.setUint32(8, VIDX_VERSION, true);
  v.setUint32(12, INDEX_TYPES[d.type], true);
  v.setUint32(16, INDEX_METRICS[d.metric], true);
  v.setUint32(20, STORAGES[d.storage], true);
  v.setUint32(24, d.dim, true);
  v.setUint32(28, d.m, true);
  v.setUint32(32, d.efConstruction, true);
  v.setUint32(36, d.maxLevel, true);
  v.setBigUint64(40, BigInt(d.count), true);
  v.setInt32(48, d.entry, true);
  v.setUint32(52, d.seedHigh, true);
  v.setUint32(56, d.seedLow, true);
  v.setUint32(60, d.keepVectors ? KEEP_VECTORS : 0, true);
  v.setBigUint64(64, BigInt(graphBytes), true);
  return out;
}

/** Writes an index file atomically (temp file, then rename). */
export async function writeIndex(path: string, d: IndexData): Promise<number> {
  const graph = d.type === 'hnsw' ? encodeGraph(d) : new Uint8Array(0);
  const l = layout({ ...d, graphBytes: graph.length });
  const file = await AtomicFile.create(path);
  try {
    const header = encodeHeader(d, graph.length);
    await file.write(header, 0);
    let crc = crcUpdate(header);
    let at = HEADER_BYTES;
    const arrays = { vectors: d.vectors, codes: d.codes, scales: d.scales, center: d.center, levels: d.levels, graph };
    for (const s of l.sections) {
      const pad = new Uint8Array(s.offset - at);
      const bytes = new Uint8Array(arrays[s.name].buffer, arrays[s.name].byteOffset, s.bytes);
      await file.write(pad, at);
      await file.write(bytes, s.offset);
      crc = crcUpdate(bytes, crcUpdate(pad, crc));
      at = s.offset + s.bytes;
    }
    const trailer = new Uint8Array(4);
    new DataView(trailer.buffer).setUint32(0, crc, true);
    await file.write(trailer, l.checksumOffset);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
  return l.fileBytes;
}

/** Reads and checks an index file: header fields, exact size, checksum, and while decoding the
 * graph every link count and neighbour id. The index built from it checks the rest again (it also
 * takes data that never was a file). */
export async function readIndex(path: string): Promise<IndexData & { fileBytes: number }> {
  const input = await openInput(path);
  try {
    const fail = (what: string) => new DataError(`${path}: ${what}`);
    if (input.size < HEADER_BYTES + 4) throw fail(`truncated: ${input.size} bytes, an index header alone is ${HEADER_BYTES}`);
    const bytes = new Uint8Array(input.size);
    await readFully(input.handle, bytes, 0);
    const v = new DataView(bytes.buffer);
    if (String.fromCharCode(...bytes.subarray(0, 8)) !== VIDX_MAGIC) throw fail('not a vectro index (bad magic)');
    const version = v.getUint32(8, true);
    if (version !== VIDX_VERSION) throw fail(`unsupported index version ${version} (this vectro reads version ${VIDX_VERSION})`);
    const type = byName(INDEX_TYPES, v.getUint32(12, true));
    const metric = byName(INDEX_METRICS, v.getUint32(16, true));
    const storage = byName(STORAGES, v.getUint32(20, true));
    if (!type || !metric || !storage) throw fail('unknown index type, metric or storage in the header');
    const dim = v.getUint32(24, true);
    const m = v.getUint32(28, true);
    const count = Number(v.getBigUint64(40, true));
    const flags = v.getUint32(60, true);
    const keepVectors = (flags & KEEP_VECTORS) !== 0;
    const graphBytes = Number(v.getBigUint64(64, true));
    if (dim < 1 || dim > MAX_DIM) throw fail(`dimension ${dim} in the header is out of range`);
    if ((type === 'hnsw') !== m > 0 || m > 256) throw fail(`M = ${m} does not fit a ${type} index`);
    if (flags & ~KEEP_VECTORS || (keepVectors && storage === 'f32') || (type === 'flat' && (storage !== 'f32' || graphBytes > 0))) throw fail('inconsistent storage flags in the header');
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(graphBytes) || count > 2 ** 32) throw fail('counts in the header are too large');
    const l = layout({ count, dim, m, storage, keepVectors, graphBytes });
    if (input.size < l.fileBytes) throw fail(`truncated: ${count} vectors need ${l.fileBytes} bytes but the file has ${input.size}`);
    if (input.size > l.fileBytes) throw fail(`${input.size - l.fileBytes} unexpected bytes after the data`);
    const stored = v.getUint32(l.checksumOffset, true);
    const actual = crcUpdate(bytes.subarray(0, l.checksumOffset));
    if (stored !== actual) throw fail(`checksum mismatch: the file is corrupt`);
    const at = (name: SectionName) => l.sections.find((s) => s.name === name)!;
    const view = <T>(name: SectionName, make: (b: ArrayBuffer, o: number, n: number) => T, size: number) => make(bytes.buffer, at(name).offset, at(name).bytes / size);
    const levels = view('levels', (b, o, n) => new Uint8Array(b, o, n), 1);
    let upperLength = 0;
    for (const level of levels) {
      if (level > MAX_LEVEL) throw fail(`corrupt graph: a level of ${level}, beyond the maximum ${MAX_LEVEL}`);
      upperLength += level * (1 + m);
    }
    const graph = { m, levels, links0: new Uint32Array(m > 0 ? count * (1 + 2 * m) : 0), upper: new Uint32Array(upperLength) };
    if (type === 'hnsw') {
      try {
        decodeGraph(view('graph', (b, o, n) => new Uint8Array(b, o, n), 1), graph);
      } catch (err) {
        throw fail(`corrupt graph: ${(err as Error).message}`);
      }
    }
    return {
      type,
      metric,
      storage,
      keepVectors,
      dim,
      count,
      m,
      efConstruction: v.getUint32(32, true),
      maxLevel: v.getUint32(36, true),
      entry: v.getInt32(48, true),
      seedHigh: v.getUint32(52, true),
      seedLow: v.getUint32(56, true),
      vectors: view('vectors', (b, o, n) => new Float32Array(b, o, n), 4),
      codes: view('codes', (b, o, n) => new Uint8Array(b, o, n), 1),
      scales: view('scales', (b, o, n) => new Float32Array(b, o, n), 4),
      center: view('center', (b, o, n) => new Float32Array(b, o, n), 4),
      levels,
      links0: graph.links0,
      upper: graph.upper,
      fileBytes: input.size,
    };
  } finally {
    await input.handle.close();
  }
}

/** Bytes `writeIndex` writes for an index of this shape whose graph encodes to `graphBytes`. */
export function indexFileBytes(shape: Pick<IndexData, 'count' | 'dim' | 'm' | 'storage' | 'keepVectors'>, graphBytes: number): number {
  return layout({ ...shape, graphBytes }).fileBytes;
}
