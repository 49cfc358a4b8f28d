import { performance } from 'node:perf_hooks';
import type { Backend } from '../backends/backend.js';
import { VectorReader } from '../formats/vectors.js';
import type { VectorFormat } from '../formats/detect.js';
import { VqWriter } from '../formats/vq.js';
import { badVectorError, centerFromSums, ChunkBuffers, DEFAULT_CHUNK_BYTES, ErrorTally, rowsPerChunk, throwIfAborted } from './pipeline.js';
import type { Scheme } from './schemes.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { normaliseInto } from '../distance/normalise.js';
import { DEFAULT_ROTATION_SEED, fileParamsFor } from './rabitq.js';
import { reportQueryIds, SearchReporter, type SearchReport } from './search-report.js';

export interface QuantizeFileOptions {
  scheme: Scheme;
  backend: Backend;
  /** Threads for the native backend (0 = all cores). */
  threads: number;
  /** Input format, when the extension does not say. */
  format?: VectorFormat;
  chunkBytes?: number;
  /** The distance searches will use (default l2): rabitq normalises vectors for cosine; the report measures it. */
  metric?: IndexMetricName;
  /** Seed of rabitq's rotation and of the report's samples. */
  seed?: number;
  /** Measure the search-quality report (default true). */
  searchReport?: boolean;
  onProgress?: (progress: { phase: 'center' | 'encode'; done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface QuantizeReport {
  input: string;
  output: string;
  format: VectorFormat;
  scheme: string;
  backend: string;
  simd: string;
  threads: number;
  vectors: number;
  dim: number;
  inputBytes: number;
  outputBytes: number;
  /** inputBytes / outputBytes. */
  compressionRatio: number;
  seconds: number;
  vectorsPerSecond: number;
  meanAbsError: number | null;
  maxAbsError: number | null;
  mse: number | null;
  meanRelativeError: number | null;
  metric: IndexMetricName;
  /** rabitq: the rotation's seed. */
  seed?: number;
  searchReport: SearchReport | null;
}

/** rabitq under cosine encodes unit vectors: rows are normalised in place as they are read. */
function rowPreparer(scheme: Scheme, metric: IndexMetricName, dim: number): (x: Float32Array) => void {
  if (scheme.family !== 'rabitq' || metric !== 'cosine') return () => {};
  return (x) => {
    for (let at = 0; at < x.length; at += dim) normaliseInto(x, at, dim, x, at);
  };
}

/**
 * Quantizes a vector file into a `.vq` file, streaming it in chunks (memory stays bounded by the
 * chunk size whatever the input size), and measures the reconstruction error on the way.
 */
export async function quantizeFile(input: string, output: string, options: QuantizeFileOptions): Promise<QuantizeReport> {
  const { scheme, backend, signal, onProgress } = options;
  const metric = options.metric ?? 'l2';
  const seed = options.seed ?? Number(DEFAULT_ROTATION_SEED);
  const threads = backend.name === 'native' ? options.threads : 1;
  const started = performance.now();
  const reader = await VectorReader.open(input, options.format);
  let writer: VqWriter | undefined;
  try {
    const { dim, count } = reader.info;
    const chunk = rowsPerChunk(dim, count, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const buffers = new ChunkBuffers(scheme, dim, chunk);
    writer = await VqWriter.create(output, scheme, dim, count);
    const prepare = rowPreparer(scheme, metric, dim);

    let block: Float32Array = new Float32Array(0);
    if (scheme.hasCenter) {
      const sums = new Float64Array(dim);
      for (let start = 0; start < count; start += chunk) {
        throwIfAborted(signal);
        const { x } = buffers.view(Math.min(chunk, count - start));
        await reader.read(start, x.length / dim, x);
        prepare(x);
        const bad = backend.columnSums(x, dim, sums);
        if (bad >= 0) throw badVectorError(input, scheme, x, dim, bad, start);
        onProgress?.({ phase: 'center', done: start + x.length / dim, total: count });
      }
      block = fileParamsFor(scheme, centerFromSums(sums, count), { seed: BigInt(seed), metric });
      await writer.writeFileParams(block);
    }

    let reporter: SearchReporter | undefined;
    if (options.searchReport !== false && count > 1) {
      const ids = reportQueryIds(count, seed);
      const queries = new Float32Array(ids.length * dim);
      for (let i = 0; i < ids.length; i++) await reader.read(ids[i], 1, queries.subarray(i * dim, (i + 1) * dim));
      prepare(queries);
      reporter = new SearchReporter(backend, scheme, metric, dim, count, queries, block, threads, seed);
    }

    const errors = new ErrorTally();
    for (let start = 0; start < count; start += chunk) {
      throwIfAborted(signal);
      const n = Math.min(chunk, count - start);
      const { x, decoded, codes, params } = buffers.view(n);
      await reader.read(start, n, x);
      prepare(x);
      const bad = backend.encode(scheme, x, dim, block, codes, params, threads);
      if (bad >= 0) throw badVectorError(input, scheme, x, dim, bad, start);
      backend.decode(scheme, codes, params, block, dim, decoded, threads);
      errors.add(backend, x, decoded, dim);
      reporter?.addChunk(start, x, codes, params, decoded);
      await writer.writeRows(start, params, codes);
      onProgress?.({ phase: 'encode', done: start + n, total: count });
    }
    throwIfAborted(signal);
    await writer.finish();

    const searchReport = reporter?.finish() ?? null;
    // The report's own time is not the scheme's encoding speed.
    const seconds = (performance.now() - started) / 1000 - (searchReport?.seconds ?? 0);
    const outputBytes = writer.layout.fileBytes; // not a stat: the output may be stdout or a device
    return {
      input,
      output,
      format: reader.info.format,
      scheme: scheme.name,
      backend: backend.name,
      simd: backend.simd,
      threads,
      vectors: count,
      dim,
      inputBytes: reader.info.bytes,
      outputBytes,
      compressionRatio: reader.info.bytes / outputBytes,
      seconds,
      vectorsPerSecond: seconds > 0 ? count / seconds : 0,
      ...errors.summary(),
      metric,
      ...(scheme.family === 'rabitq' ? { seed } : {}),
      searchReport,
    };
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    await reader.close();
  }
}
