/** vectro as a library: quantize in memory or file to file, read and write vector files. */
export { quantize, dequantize, type Quantized, type MemoryOptions } from './quant/memory.js';
export { quantizeFile, type QuantizeFileOptions, type QuantizeReport } from './quant/quantize.js';
export { dequantizeFile, type DequantizeFileOptions, type DequantizeReport } from './quant/dequantize.js';
export { SCHEMES, SCHEME_NAMES, codeBytes, type Scheme, type SchemeName } from './quant/schemes.js';
export { selectBackend, type BackendChoice } from './backends/select.js';
export type { Backend, BackendName } from './backends/backend.js';
export { jsBackend } from './backends/js/index.js';
export { loadNative } from './native/loader.js';
export { VectorReader, type VectorFileInfo } from './formats/vectors.js';
export { VectorWriter } from './formats/writers.js';
export { VqReader, VqWriter, vqLayout } from './formats/vq.js';
export { VectroError, UsageError, DataError, InterruptedError } from './errors.js';
export { HnswIndex, type HnswOptions } from './index/hnsw.js';
export { FlatIndex } from './index/flat.js';
export { loadIndex } from './index/load.js';
export type { VectorIndex, SearchOptions, SearchResult, AddOptions, AsyncAddOptions } from './index/types.js';
export { computeGroundTruth } from './index/groundtruth.js';
export { VERSION } from './version.js';
