import type { BackendChoice } from '../backends/select.js';
import { DataError, VectroError } from '../errors.js';
import { FlatIndex } from './flat.js';
import { readIndex } from './format.js';
import { HnswIndex } from './hnsw.js';
import { IvfIndex } from './ivf.js';
import type { VectorIndex } from './types.js';

/** Opens a `.vidx` file of any kind: the file is checked, then the graph as it is rebuilt. */
export async function loadIndex(path: string, backend: BackendChoice = 'auto'): Promise<{ index: VectorIndex; fileBytes: number }> {
  const data = await readIndex(path);
  try {
    const index = data.type === 'hnsw' ? HnswIndex.fromData(data, backend) : data.type === 'ivf' ? IvfIndex.fromData(data, backend) : FlatIndex.fromData(data, backend);
    return { index, fileBytes: data.fileBytes };
  } catch (err) {
    if (err instanceof VectroError) throw err;
    throw new DataError(`${path}: corrupt index: ${(err as Error).message}`);
  }
}
