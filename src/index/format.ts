import { DataError } from '../errors.js';
import { AtomicFile, readFully } from '../formats/atomic.js';
import { crcUpdate } from '../formats/checksum.js';
import { openInput } from '../formats/input.js';
import { INDEX_METRICS, type IndexMetricName } from '../distance/metrics.js';
import { MAX_DIM } from '../quant/schemes.js';

/**
 * The `.vidx` index file (docs/format.md): a 128-byte header, then 64-byte-aligned sections
 * (vectors, levels, bottom-layer links, upper-layer links), then a CRC-32 of everything before it.
 * A flat index has only vectors.
 */
export const VIDX_MAGIC = 'VECTROIX';
export const VIDX_VERSION = 1;
const HEADER_BYTES = 128;
const ALIGN = 64;

export const INDEX_TYPES = { hnsw: 1, flat: 2 } as const;
export type IndexType = keyof typeof INDEX_TYPES;
export const STORAGES = { f32: 0 } as const;
export type Storage = keyof typeof STORAGES;

/** Everything an index file holds. */
export interface IndexData {
  type: IndexType;
  metric: IndexMetricName;
  storage: Storage;
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
  vectors: Float32Array;
  levels: Uint8Array;
  links0: Uint32Array;
  upper: Uint32Array;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const byName = <T extends Record<string, number>>(table: T, id: number) => Object.entries(table).find(([, v]) => v === id)?.[0] as keyof T | undefined;

interface Layout {
  sections: { name: 'vectors' | 'levels' | 'links0' | 'upper'; offset: number; bytes: number }[];
  checksumOffset: number;
  fileBytes: number;
}

function layout(d: Pick<IndexData, 'count' | 'dim' | 'm'> & { upperLength: number }): Layout {
  const sizes = [
    ['vectors', d.count * d.dim * 4],
    ['levels', d.m > 0 ? d.count : 0],
    ['links0', d.m > 0 ? d.count * (1 + 2 * d.m) * 4 : 0],
    ['upper', d.upperLength * 4],
  ] as const;
  let at = HEADER_BYTES;
  const sections = sizes.map(([name, bytes]) => {
    const s = { name, offset: at, bytes };
    at = align(at + bytes);
    return s;
  });
  const end = sections[3].offset + sections[3].bytes;
  return { sections, checksumOffset: end, fileBytes: end + 4 };
}

function encodeHeader(d: IndexData): Uint8Array {
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
  v.setBigUint64(64, BigInt(d.upper.length), true);
  return out;
}

/** Writes an index file atomically (temp file, then rename). */
export async function writeIndex(path: string, d: IndexData): Promise<number> {
  const l = layout({ ...d, upperLength: d.upper.length });
  const file = await AtomicFile.create(path);
  try {
    const header = encodeHeader(d);
    await file.write(header, 0);
    let crc = crcUpdate(header);
    let at = HEADER_BYTES;
    const arrays = { vectors: d.vectors, levels: d.levels, links0: d.links0, upper: d.upper };
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

/** Reads and checks an index file: header fields, exact size and checksum. The graph itself is
 * checked by whoever builds the index from it (every neighbour id, every link count). */
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
    const upperLength = Number(v.getBigUint64(64, true));
    if (dim < 1 || dim > MAX_DIM) throw fail(`dimension ${dim} in the header is out of range`);
    if ((type === 'hnsw') !== m > 0 || m > 65_536) throw fail(`M = ${m} does not fit a ${type} index`);
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(upperLength)) throw fail('counts in the header are too large');
    const l = layout({ count, dim, m, upperLength });
    if (input.size < l.fileBytes) throw fail(`truncated: ${count} vectors need ${l.fileBytes} bytes but the file has ${input.size}`);
    if (input.size > l.fileBytes) throw fail(`${input.size - l.fileBytes} unexpected bytes after the data`);
    const stored = v.getUint32(l.checksumOffset, true);
    const actual = crcUpdate(bytes.subarray(0, l.checksumOffset));
    if (stored !== actual) throw fail(`checksum mismatch: the file is corrupt`);
    const at = (name: string) => l.sections.find((s) => s.name === name)!;
    const view = <T>(name: string, make: (b: ArrayBuffer, o: number, n: number) => T, size: number) => make(bytes.buffer, at(name).offset, at(name).bytes / size);
    return {
      type,
      metric,
      storage,
      dim,
      count,
      m,
      efConstruction: v.getUint32(32, true),
      maxLevel: v.getUint32(36, true),
      entry: v.getInt32(48, true),
      seedHigh: v.getUint32(52, true),
      seedLow: v.getUint32(56, true),
      vectors: view('vectors', (b, o, n) => new Float32Array(b, o, n), 4),
      levels: view('levels', (b, o, n) => new Uint8Array(b, o, n), 1),
      links0: view('links0', (b, o, n) => new Uint32Array(b, o, n), 4),
      upper: view('upper', (b, o, n) => new Uint32Array(b, o, n), 4),
      fileBytes: input.size,
    };
  } finally {
    await input.handle.close();
  }
}
