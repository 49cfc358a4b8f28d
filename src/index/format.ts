import { DataError } from '../errors.js';
import { AtomicFile, readFully } from '../formats/atomic.js';
import { stopIfAborted } from '../signals.js';
import { firstNonFinite, firstUnfitRow } from '../formats/finite.js';
import { crcUpdate } from '../formats/checksum.js';
import { openInput } from '../formats/input.js';
import { INDEX_METRICS, type IndexMetricName } from '../distance/metrics.js';
import { LIMITS } from '../limits.js';
import { MAX_DIM, RABITQ_HEADER_WORDS, SCHEMES, type Scheme } from '../quant/schemes.js';
import { readRabitqBlock } from '../quant/rabitq.js';
import { decodeGraph, encodeGraph } from './graph-codec.js';

/**
 * The `.vidx` index file (docs/format.md): a 128-byte header, then 64-byte-aligned sections
 * (vectors, codes, scales, center, levels, graph; an IVF index: vectors, codes, scales, centroids,
 * sizes, ids), then a CRC-32 of everything before it. Sections a kind of index does not use are
 * empty: a flat index has only vectors; an int8 or binary index has vectors only when it keeps them.
 */
export const VIDX_MAGIC = 'VECTROIX';
export const VIDX_VERSION = 2;
const HEADER_BYTES = 128;
const ALIGN = 64;

export const INDEX_TYPES = { hnsw: 1, flat: 2, ivf: 3 } as const;
export type IndexType = keyof typeof INDEX_TYPES;
/** How vectors are stored (ids as in the Rust `Storage`: rabitqB is 2 + B). */
export const STORAGES = {
  f32: 0,
  int8: 1,
  binary: 2,
  rabitq1: 3,
  rabitq2: 4,
  rabitq3: 5,
  rabitq4: 6,
  rabitq5: 7,
  rabitq6: 8,
  rabitq7: 9,
  rabitq8: 10,
} as const;
export type Storage = keyof typeof STORAGES;

/** The code scheme behind a storage (none for f32). */
export function storageScheme(storage: Storage): Scheme | undefined {
  return storage === 'f32' ? undefined : SCHEMES[storage];
}

/** float32 values saved per node beside the codes: int8's scale, rabitq's three factors. */
export function nodeParams(storage: Storage): number {
  const scheme = storageScheme(storage);
  return scheme?.family === 'int8' || scheme?.family === 'rabitq' ? scheme.vectorParams : 0;
}

/** float32 words saved once: binary's center, rabitq's rotation words and center. */
export function storageFileParams(storage: Storage, dim: number): number {
  return storageScheme(storage)?.fileParams(dim) ?? 0;
}
const KEEP_VECTORS = 1;
/** Highest HNSW level (as in the Rust index). */
export const MAX_LEVEL = 15;

/** Bytes of codes per vector. */
export function codeBytes(storage: Storage, dim: number): number {
  return storageScheme(storage)?.codeBytes(dim) ?? 0;
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
  /**
   * IVF only (absent or empty otherwise). Vectors, codes and scales (rabitq's factors) are in list
   * order; rabitq codes are of the residual to the list's centroid, rotated with the header's seed.
   */
  nlist?: number;
  /** nlist x dim centroids (cosine: of normalised vectors). */
  centroids?: Float32Array;
  /** Each list's length. */
  sizes?: Uint32Array;
  /** The id of every stored vector, in list order. */
  ids?: Uint32Array;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const byName = <T extends Record<string, number>>(table: T, id: number) => Object.entries(table).find(([, v]) => v === id)?.[0] as keyof T | undefined;

type SectionName = 'vectors' | 'codes' | 'scales' | 'center' | 'levels' | 'graph' | 'centroids' | 'sizes' | 'ids';

interface Layout {
  sections: { name: SectionName; offset: number; bytes: number }[];
  checksumOffset: number;
  fileBytes: number;
}

/** The sections of an index of this shape; `nlist` > 0 lays out an IVF index. */
function layout(d: Pick<IndexData, 'count' | 'dim' | 'm' | 'storage' | 'keepVectors' | 'nlist'> & { graphBytes: number }): Layout {
  const hasVectors = d.storage === 'f32' || d.keepVectors;
  const nlist = d.nlist ?? 0;
  const sizes: [SectionName, number][] = [
    ['vectors', hasVectors ? d.count * d.dim * 4 : 0],
    ['codes', d.count * codeBytes(d.storage, d.dim)],
    ['scales', d.count * nodeParams(d.storage) * 4],
    ...((nlist > 0
      ? [
          ['centroids', nlist * d.dim * 4],
          ['sizes', nlist * 4],
          ['ids', d.count * 4],
        ]
      : [
          ['center', storageFileParams(d.storage, d.dim) * 4],
          ['levels', d.m > 0 ? d.count : 0],
          ['graph', d.graphBytes],
        ]) as [SectionName, number][]),
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
  v.setUint32(72, d.nlist ?? 0, true);
  if (d.type === 'ivf') v.setUint32(DIRECTORY_CRC_AT, directoryChecksum(out, [d.centroids!, d.sizes!, d.ids!]), true);
  return out;
}

/**
 * IVF: header byte 76 holds a CRC-32 of the header's first 76 bytes and the centroids, sizes and
 * ids sections, so that a mapped index (`IvfIndex.open` with `mmap`) can check everything it reads
 * eagerly without reading the lists.
 */
const DIRECTORY_CRC_AT = 76;

function directoryChecksum(header: Uint8Array, sections: ArrayBufferView[]): number {
  let crc = crcUpdate(header.subarray(0, DIRECTORY_CRC_AT));
  for (const s of sections) crc = crcUpdate(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), crc);
  return crc;
}

/** Bytes written per call: between them an abort is seen (Ctrl-C during a large index's write). */
const WRITE_BLOCK = 8 << 20;

/**
 * Writes an index file atomically (temp file, then rename). `signal` is checked between blocks and
 * last just before the rename: an aborted write removes its temp file and throws InterruptedError.
 */
export async function writeIndex(path: string, d: IndexData, signal?: AbortSignal): Promise<number> {
  stopIfAborted(signal);
  const graph = d.type === 'hnsw' ? encodeGraph(d) : new Uint8Array(0);
  const l = layout({ ...d, graphBytes: graph.length });
  const file = await AtomicFile.create(path);
  try {
    const header = encodeHeader(d, graph.length);
    await file.write(header, 0);
    let crc = crcUpdate(header);
    let at = HEADER_BYTES;
    const none = new Uint8Array(0);
    const arrays = {
      vectors: d.vectors,
      codes: d.codes,
      scales: d.scales,
      center: d.center,
      levels: d.levels,
      graph,
      centroids: d.centroids ?? none,
      sizes: d.sizes ?? none,
      ids: d.ids ?? none,
    };
    for (const s of l.sections) {
      const pad = new Uint8Array(s.offset - at);
      const bytes = new Uint8Array(arrays[s.name].buffer, arrays[s.name].byteOffset, s.bytes);
      await file.write(pad, at);
      crc = crcUpdate(pad, crc);
      for (let from = 0; from < bytes.length; from += WRITE_BLOCK) {
        stopIfAborted(signal);
        const block = bytes.subarray(from, Math.min(bytes.length, from + WRITE_BLOCK));
        await file.write(block, s.offset + from);
        crc = crcUpdate(block, crc);
      }
      at = s.offset + s.bytes;
    }
    const trailer = new Uint8Array(4);
    new DataView(trailer.buffer).setUint32(0, crc, true);
    await file.write(trailer, l.checksumOffset);
    stopIfAborted(signal);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
  return l.fileBytes;
}

/** The header of an index file, checked on its own: IndexData's fields without the arrays. */
export type IndexHeader = Omit<IndexData, 'vectors' | 'codes' | 'scales' | 'center' | 'levels' | 'links0' | 'upper'> & {
  graphBytes: number;
  /** Where the sections are, and the size the file must have. */
  layout: Layout;
};

/** Bytes 80 to 127 of the header are reserved and zero (72: IVF's nlist, 76: its directory CRC; zero for other types). */
const RESERVED_FROM = 80;

/**
 * Decodes and checks a header: every field in its range (docs/format.md lists them), the fields
 * consistent with each other, and `fileSize` exactly what they lay out. Throws a DataError naming `path`.
 */
export function decodeIndexHeader(bytes: Uint8Array, fileSize: number, path: string): IndexHeader {
  const fail = (what: string) => new DataError(`${path}: ${what}`);
  if (fileSize < HEADER_BYTES + 4 || bytes.length < HEADER_BYTES) throw fail(`truncated: ${fileSize} bytes, an index header alone is ${HEADER_BYTES}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (String.fromCharCode(...bytes.subarray(0, 8)) !== VIDX_MAGIC) throw fail('not a vectro index (bad magic)');
  const version = v.getUint32(8, true);
  if (version !== VIDX_VERSION) throw fail(`unsupported index version ${version} (this vectro reads version ${VIDX_VERSION})`);
  const type = byName(INDEX_TYPES, v.getUint32(12, true));
  const metric = byName(INDEX_METRICS, v.getUint32(16, true));
  const storage = byName(STORAGES, v.getUint32(20, true));
  if (!type || !metric || !storage) throw fail('unknown index type, metric or storage in the header');
  const dim = v.getUint32(24, true);
  const m = v.getUint32(28, true);
  const efConstruction = v.getUint32(32, true);
  const maxLevel = v.getUint32(36, true);
  const count = Number(v.getBigUint64(40, true));
  const entry = v.getInt32(48, true);
  const flags = v.getUint32(60, true);
  const keepVectors = (flags & KEEP_VECTORS) !== 0;
  const graphBytes = Number(v.getBigUint64(64, true));
  const nlist = v.getUint32(72, true);
  const hnsw = type === 'hnsw';
  const ivf = type === 'ivf';
  if (dim < 1 || dim > MAX_DIM) throw fail(`dimension ${dim} in the header is out of range (1 to ${MAX_DIM})`);
  if (hnsw ? m < 2 || m > LIMITS.m : m !== 0) throw fail(`M = ${m} does not fit a ${type} index (${hnsw ? `2 to ${LIMITS.m}` : '0'})`);
  if (hnsw ? efConstruction < 1 || efConstruction > LIMITS.ef : efConstruction !== 0) {
    throw fail(`efConstruction = ${efConstruction} does not fit a ${type} index (${hnsw ? `1 to ${LIMITS.ef}` : '0'})`);
  }
  if (maxLevel > (hnsw ? MAX_LEVEL : 0)) throw fail(`top level ${maxLevel} in the header is out of range (0 to ${hnsw ? MAX_LEVEL : 0})`);
  const storageFits = hnsw || storage === 'f32' || (ivf && (storage === 'int8' || storage.startsWith('rabitq')));
  if (flags & ~KEEP_VECTORS || (keepVectors && storage === 'f32') || !storageFits || (!hnsw && graphBytes > 0))
    throw fail('inconsistent storage flags in the header');
  if (ivf ? nlist < 1 || nlist > 1 << 24 : nlist !== 0)
    throw fail(`nlist = ${nlist} does not fit ${ivf ? 'an' : 'a'} ${type} index (${ivf ? '1 to 16,777,216' : '0'})`);
  if (!ivf && v.getUint32(DIRECTORY_CRC_AT, true) !== 0)
    throw fail(`header bytes 76 to 79 (an IVF index's directory checksum) are not zero in a ${type} index`);
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(graphBytes) || count > 2 ** 31 - 1) throw fail('counts in the header are too large');
  if (hnsw ? (count === 0 ? entry !== -1 : entry < 0 || entry >= count) : entry !== -1) {
    throw fail(`entry point ${entry} in the header is not a node of this ${count}-vector index`);
  }
  if (bytes.subarray(RESERVED_FROM, HEADER_BYTES).some((b) => b !== 0)) throw fail(`reserved header bytes (${RESERVED_FROM} to 127) are not zero`);
  const l = layout({ count, dim, m, storage, keepVectors, graphBytes, nlist });
  if (fileSize < l.fileBytes) throw fail(`truncated: ${count} vectors need ${l.fileBytes} bytes but the file has ${fileSize}`);
  if (fileSize > l.fileBytes) throw fail(`${fileSize - l.fileBytes} unexpected bytes after the data`);
  const [seedHigh, seedLow] = [v.getUint32(52, true), v.getUint32(56, true)];
  return {
    type,
    metric,
    storage,
    keepVectors,
    dim,
    count,
    m,
    efConstruction,
    maxLevel,
    entry,
    seedHigh,
    seedLow,
    graphBytes,
    layout: l,
    ...(ivf ? { nlist } : {}),
  };
}

/** An index file's checked header, without reading the rest (for planning a command before its work). */
export async function probeIndex(path: string): Promise<IndexHeader> {
  const input = await openInput(path);
  try {
    const head = new Uint8Array(Math.min(HEADER_BYTES, input.size));
    await readFully(input.handle, head, 0);
    return decodeIndexHeader(head, input.size, path);
  } finally {
    await input.handle.close();
  }
}

/**
 * Reads and checks an index file, the one validator every reader of `.vidx` files goes through
 * (`index info`, `index search`, `loadIndex`, both backends): the header (decodeIndexHeader), the
 * exact size, the checksum, every value (finite vectors and center, finite non-negative scales,
 * levels up to the header's top level, which some node must reach, the entry point on it) and,
 * while decoding the graph, every link count and neighbour id. The index built from it checks the
 * structure again (it also takes data that never was a file).
 */
export async function readIndex(path: string): Promise<IndexData & { fileBytes: number }> {
  const input = await openInput(path);
  try {
    const fail = (what: string) => new DataError(`${path}: ${what}`);
    const bytes = new Uint8Array(input.size);
    if (!(await readFully(input.handle, bytes, 0))) throw fail('file shrank while reading');
    const h = decodeIndexHeader(bytes, input.size, path);
    const l = h.layout;
    const stored = new DataView(bytes.buffer).getUint32(l.checksumOffset, true);
    if (stored !== crcUpdate(bytes.subarray(0, l.checksumOffset))) throw fail(`checksum mismatch: the file is corrupt`);
    // A section this type of index does not lay out reads as empty.
    const view = <T>(name: SectionName, make: (b: ArrayBuffer, o: number, n: number) => T, size: number) => {
      const s = l.sections.find((x) => x.name === name);
      return make(bytes.buffer, s?.offset ?? 0, (s?.bytes ?? 0) / size);
    };
    const vectors = view('vectors', (b, o, n) => new Float32Array(b, o, n), 4);
    const scales = view('scales', (b, o, n) => new Float32Array(b, o, n), 4);
    const center = view('center', (b, o, n) => new Float32Array(b, o, n), 4);
    const bad = firstUnfitRow(vectors, h.dim);
    if (bad?.dimension !== undefined) throw fail(`vector ${bad.row}, dimension ${bad.dimension} ${bad.problem}; an index holds finite values only`);
    if (bad) throw fail(`vector ${bad.row} ${bad.problem}, above the 2^62 (4.61e18) an index holds`);
    const rabitq = h.storage.startsWith('rabitq');
    const badScale = scales.findIndex((s) => !(s - s === 0 && s >= 0));
    if (badScale >= 0) {
      const what = rabitq ? `factor ${badScale % 3} of vector ${Math.floor(badScale / 3)}` : `int8 scale of vector ${badScale}`;
      throw fail(`the ${what} is ${scales[badScale]}; it must be finite and not negative`);
    }
    if (h.type === 'ivf') return { ...readIvfSections(h, bytes.subarray(0, HEADER_BYTES), view, fail), vectors, scales, fileBytes: input.size };
    const centerValues = rabitq ? center.subarray(RABITQ_HEADER_WORDS) : center;
    const badCenter = firstNonFinite(centerValues);
    if (badCenter >= 0) throw fail(`the ${rabitq ? 'rabitq' : 'binary'} center's dimension ${badCenter} is ${centerValues[badCenter]}; it must be finite`);
    if (rabitq) {
      try {
        readRabitqBlock(center, h.dim);
      } catch (err) {
        throw fail(`bad ${h.storage} parameters: ${(err as Error).message}`);
      }
    }
    const levels = view('levels', (b, o, n) => new Uint8Array(b, o, n), 1);
    let upperLength = 0;
    let top = 0;
    for (const level of levels) {
      if (level > h.maxLevel) throw fail(`corrupt graph: a node has level ${level}, above the header's top level ${h.maxLevel}`);
      top = Math.max(top, level);
      upperLength += level * (1 + h.m);
    }
    if (top !== h.maxLevel) throw fail(`corrupt graph: the header's top level is ${h.maxLevel}, but no node is above level ${top}`);
    if (h.count > 0 && h.type === 'hnsw' && levels[h.entry] !== top) throw fail(`corrupt graph: entry point ${h.entry} is not a node of the top level`);
    const graph = { m: h.m, levels, links0: new Uint32Array(h.m > 0 ? h.count * (1 + 2 * h.m) : 0), upper: new Uint32Array(upperLength) };
    if (h.type === 'hnsw') {
      try {
        decodeGraph(
          view('graph', (b, o, n) => new Uint8Array(b, o, n), 1),
          graph,
        );
      } catch (err) {
        throw fail(`corrupt graph: ${(err as Error).message}`);
      }
    }
    const { graphBytes: _g, layout: _l, ...fields } = h;
    return {
      ...fields,
      vectors,
      codes: view('codes', (b, o, n) => new Uint8Array(b, o, n), 1),
      scales,
      center,
      levels,
      links0: graph.links0,
      upper: graph.upper,
      fileBytes: input.size,
    };
  } finally {
    await input.handle.close();
  }
}

/**
 * An IVF file's own sections, checked: finite centroids, list sizes adding up to the count, and
 * every id below the count exactly once.
 */
function readIvfSections(
  h: IndexHeader,
  header: Uint8Array,
  view: <T>(name: SectionName, make: (b: ArrayBuffer, o: number, n: number) => T, size: number) => T,
  fail: (what: string) => DataError,
): Omit<IndexData, 'vectors' | 'scales'> {
  const centroids = view('centroids', (b, o, n) => new Float32Array(b, o, n), 4);
  const sizes = view('sizes', (b, o, n) => new Uint32Array(b, o, n), 4);
  const ids = view('ids', (b, o, n) => new Uint32Array(b, o, n), 4);
  checkIvfDirectory(h, header, centroids, sizes, ids, fail);
  const { graphBytes: _g, layout: _l, ...fields } = h;
  const none = { f32: new Float32Array(0), u8: new Uint8Array(0), u32: new Uint32Array(0) };
  return {
    ...fields,
    codes: view('codes', (b, o, n) => new Uint8Array(b, o, n), 1),
    center: none.f32,
    levels: none.u8,
    links0: none.u32,
    upper: none.u32,
    centroids,
    sizes,
    ids,
  };
}

/**
 * The list directory of an IVF file: its checksum, finite centroids, list sizes adding up to the
 * count, every id below the count exactly once.
 */
function checkIvfDirectory(
  h: IndexHeader,
  header: Uint8Array,
  centroids: Float32Array,
  sizes: Uint32Array,
  ids: Uint32Array,
  fail: (what: string) => DataError,
): void {
  const stored = new DataView(header.buffer, header.byteOffset).getUint32(DIRECTORY_CRC_AT, true);
  if (stored !== directoryChecksum(header, [centroids, sizes, ids]))
    throw fail('directory checksum mismatch: the header, centroids or list directory is corrupt');
  const bad = firstNonFinite(centroids);
  if (bad >= 0) throw fail(`centroid ${Math.floor(bad / h.dim)}, dimension ${bad % h.dim} is ${centroids[bad]}; it must be finite`);
  const total = sizes.reduce((s, v) => s + v, 0);
  if (total !== h.count) throw fail(`corrupt list directory: the lists hold ${total} vectors, the header says ${h.count}`);
  const seen = new Uint8Array(h.count);
  for (const id of ids) {
    if (id >= h.count || seen[id]) throw fail(`corrupt list directory: id ${id} is out of range or stored twice`);
    seen[id] = 1;
  }
}

/**
 * An IVF file's header and list directory, checked as `readIndex` checks them, without reading the
 * lists: what a mapped index (`IvfIndex.open` with `mmap`) reads before mapping the rest.
 */
export async function readIvfDirectory(path: string): Promise<IndexHeader & { fileBytes: number }> {
  const input = await openInput(path);
  try {
    const fail = (what: string) => new DataError(`${path}: ${what}`);
    const header = new Uint8Array(Math.min(HEADER_BYTES, input.size));
    await readFully(input.handle, header, 0);
    const h = decodeIndexHeader(header, input.size, path);
    if (h.type !== 'ivf') throw fail(`is a ${h.type} index; only IVF indexes are searched memory-mapped`);
    const section = async (name: SectionName) => {
      const s = h.layout.sections.find((x) => x.name === name)!;
      const bytes = new Uint8Array(s.bytes);
      if (!(await readFully(input.handle, bytes, s.offset))) throw fail('file shrank while reading');
      return bytes.buffer;
    };
    const centroids = new Float32Array(await section('centroids'));
    const sizes = new Uint32Array(await section('sizes'));
    const ids = new Uint32Array(await section('ids'));
    checkIvfDirectory(h, header, centroids, sizes, ids, fail);
    return { ...h, fileBytes: input.size };
  } finally {
    await input.handle.close();
  }
}

/** Bytes `writeIndex` writes for an index of this shape whose graph encodes to `graphBytes`. */
export function indexFileBytes(shape: Pick<IndexData, 'count' | 'dim' | 'm' | 'storage' | 'keepVectors' | 'nlist'>, graphBytes: number): number {
  return layout({ ...shape, graphBytes }).fileBytes;
}
