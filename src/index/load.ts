import type { BackendChoice } from '../backends/select.js';
import { DataError, UsageError, VectroError } from '../errors.js';
import { probeIndex, readIndex } from './format.js';
import { IvfIndex } from './ivf.js';
import { INDEX_TYPES } from './registry.js';
import type { VectorIndex } from './types.js';

/**
 * Opens a `.vidx` file of any kind: the file is checked, then the graph as it is rebuilt. `mmap`
 * maps an IVF index instead of reading it (`IvfIndex.open`, with `cold`); other types cannot be mapped.
 */
export async function loadIndex(
  path: string,
  backend: BackendChoice = 'auto',
  options: { mmap?: boolean; cold?: boolean } = {},
): Promise<{ index: VectorIndex; fileBytes: number }> {
  if (options.mmap) {
    const header = await probeIndex(path);
    if (header.type !== 'ivf') throw new UsageError(`--mmap: applies to IVF indexes (${path} is ${header.type})`);
    return { index: await IvfIndex.open(path, { mmap: true, cold: options.cold, backend }), fileBytes: header.layout.fileBytes };
  }
  const data = await readIndex(path);
  try {
    const index = INDEX_TYPES[data.type].fromData(data, backend);
    return { index, fileBytes: data.fileBytes };
  } catch (err) {
    if (err instanceof VectroError) throw err;
    throw new DataError(`${path}: corrupt index: ${(err as Error).message}`);
  }
}
