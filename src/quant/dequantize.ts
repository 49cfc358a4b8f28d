import { performance } from 'node:perf_hooks';
import type { Backend } from '../backends/backend.js';
import { outputFormatOf } from '../formats/detect.js';
import { VqReader } from '../formats/vq.js';
import { outputBytes, VectorWriter } from '../formats/writers.js';
import { ChunkBuffers, DEFAULT_CHUNK_BYTES, rowsPerChunk, throwIfAborted } from './pipeline.js';

export interface DequantizeFileOptions {
  backend: Backend;
  threads: number;
  chunkBytes?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface DequantizeReport {
  input: string;
  output: string;
  scheme: string;
  backend: string;
  vectors: number;
  dim: number;
  outputBytes: number;
  seconds: number;
}

/** Decodes a `.vq` file into float32 vectors (`.fvecs`, `.fbin` or `.npy`, by extension). */
export async function dequantizeFile(input: string, output: string, options: DequantizeFileOptions): Promise<DequantizeReport> {
  const { backend, signal } = options;
  const threads = backend.name === 'native' ? options.threads : 1;
  const format = outputFormatOf(output);
  const started = performance.now();
  const reader = await VqReader.open(input);
  let writer: VectorWriter | undefined;
  try {
    const { scheme, dim, count } = reader.layout;
    const center = await reader.readFileParams();
    const chunk = rowsPerChunk(dim, count, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const buffers = new ChunkBuffers(scheme, dim, chunk);
    writer = await VectorWriter.create(output, format, dim, count);
    for (let start = 0; start < count; start += chunk) {
      throwIfAborted(signal);
      const n = Math.min(chunk, count - start);
      const { decoded, codes, params } = buffers.view(n);
      await reader.readRows(start, params, codes);
      backend.decode(scheme, codes, params, center, dim, decoded, threads);
      await writer.write(decoded);
      options.onProgress?.({ done: start + n, total: count });
    }
    throwIfAborted(signal);
    await writer.commit();
    return {
      input,
      output,
      scheme: scheme.name,
      backend: backend.name,
      vectors: count,
      dim,
      outputBytes: outputBytes(format, count, dim),
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    await reader.close();
  }
}
