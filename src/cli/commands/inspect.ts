import { extname } from 'node:path';
import type { Command } from 'commander';
import { VECTOR_FORMATS } from '../../formats/detect.js';
import { VectorReader } from '../../formats/vectors.js';
import { hex, VqReader, VQ_VERSION } from '../../formats/vq.js';
import { inspectOptions, parseOptions } from '../options.js';
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
  await reader.close();
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
