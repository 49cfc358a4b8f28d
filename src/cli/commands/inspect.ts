import { extname } from 'node:path';
import type { Command } from 'commander';
import { VECTOR_FORMATS } from '../../formats/detect.js';
import { VectorReader } from '../../formats/vectors.js';
import { hex, VqReader, VQ_VERSION } from '../../formats/vq.js';
import { inspectOptions, parseOptions } from '../options.js';
import { RABITQ_HEADER_WORDS, type Scheme } from '../../quant/schemes.js';
import { readRabitqBlock } from '../../quant/rabitq.js';
import { ROTATION_ROUNDS } from '../../backends/js/rotation.js';
import { formatBytes, keyValueTable, printJson } from '../output.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .summary('print the header of a .vq file, or the shape and type of a vector file')
    .description('Print what a file holds. A .vq file is fully validated (header, size and checksum).')
    .argument('<file>', '.vq file or vector file')
    .option('--format <name>', `vector format when the extension does not say: ${VECTOR_FORMATS.join(', ')}`)
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (file: string, raw: unknown) => {
      const opts = parseOptions(inspectOptions, raw);
      const result = extname(file).toLowerCase() === '.vq' && !opts.format ? await inspectVq(file) : await inspectVectors(file, opts.format);
      if (opts.json) printJson(result);
      else console.log(keyValueTable(Object.entries(result).map(([k, v]) => [k, k === 'bytes' ? formatBytes(v as number) : String(v)])));
    });
}

async function inspectVq(file: string) {
  const reader = await VqReader.open(file);
  const block = await reader.readFileParams().finally(() => reader.close());
  const l = reader.layout;
  return {
    file,
    format: 'vq',
    version: VQ_VERSION,
    scheme: l.scheme.name,
    vectors: l.count,
    dim: l.dim,
    codeBytesPerVector: l.codeBytes,
    paramsPerVector: l.vectorParams,
    paramsPerFile: l.fileParams,
    codesOffset: l.codesOffset,
    ...fileParamsSummary(l.scheme, l.dim, block),
    bytes: l.fileBytes,
    checksum: `ok (crc32 ${hex(reader.checksum)})`,
  };
}

async function inspectVectors(file: string, format?: (typeof VECTOR_FORMATS)[number]) {
  const reader = await VectorReader.open(file, format);
  await reader.close();
  const { path, ...info } = reader.info;
  return { file: path, ...info };
}

/** What the per-file parameters say: bits, rotation and metric for rabitq; the center for both centered schemes. */
function fileParamsSummary(scheme: Scheme, dim: number, block: Float32Array): Record<string, string | number> {
  if (!scheme.hasCenter) return {};
  const center = scheme.family === 'rabitq' ? block.subarray(RABITQ_HEADER_WORDS) : block;
  let norm = 0;
  for (const v of center) norm += v * v;
  const shown = Array.from(center.subarray(0, 4), (v) => Number(v.toPrecision(6))).join(', ');
  const summary = { center: `[${shown}${dim > 4 ? ', ...' : ''}] (norm ${Math.sqrt(norm).toPrecision(6)})` };
  if (scheme.family !== 'rabitq') return summary;
  const b = readRabitqBlock(block, dim);
  return {
    bits: scheme.bits,
    metric: b.metric,
    rotation: `randomized Hadamard + Kac, ${ROTATION_ROUNDS} rounds, seed ${b.seed}`,
    paddedDim: b.rotation.padded,
    ...summary,
  };
}
