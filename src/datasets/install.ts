import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { DataError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../formats/atomic.js';
import { claimTemp, discardTemp, releaseTemp, sweepStaleTemps } from '../formats/scratch.js';
import { VectorWriter } from '../formats/writers.js';
import { stopIfAborted } from '../signals.js';
import { dataDir, MANIFEST, placeDatasetFolder, readManifest, type Manifest } from './cache.js';
import { download, DownloadError } from './download.js';
import { Hdf5Matrix } from './hdf5.js';
import type { DatasetSource, KnownDataset, KnownFile } from './registry.js';
import { sha256File } from './verify.js';

export interface InstallHooks {
  onStage?: (stage: string) => void;
  onProgress?: (stage: string, done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

export interface Installed {
  dir: string;
  source: string;
  manifest: Manifest;
  /** Sources tried before the one that worked, and why each failed. */
  failures: string[];
}

/** The kind of archive a user-given URL points at, from its name. */
export function sourceFromUrl(url: string): DatasetSource {
  const name = new URL(url).pathname.toLowerCase();
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz')) return { url, kind: 'tar.gz', bytes: 0 };
  if (name.endsWith('.hdf5') || name.endsWith('.h5')) return { url, kind: 'hdf5', bytes: 0 };
  throw new UsageError(`--url ${url}: expected a .tar.gz (TEXMEX) or .hdf5 (ann-benchmarks) file`);
}

/**
 * Downloads a known dataset into the cache: each source in turn until one works; the files are
 * checked against the published sha256 digests in a temporary folder, which is renamed into place
 * with its manifest only when everything matched. An interrupted download resumes next time.
 */
export async function installDataset(known: KnownDataset, sources: DatasetSource[], hooks: InstallHooks = {}): Promise<Installed> {
  const dir = join(dataDir(), known.name);
  const downloads = join(dataDir(), 'downloads');
  await mkdir(downloads, { recursive: true });
  const failures: string[] = [];
  for (const source of sources) {
    const archive = join(downloads, `${known.name}-${basename(new URL(source.url).pathname)}`);
    try {
      hooks.onStage?.(`downloading ${source.url}`);
      await download(source.url, archive, { signal: hooks.signal, onProgress: (done, total) => hooks.onProgress?.('downloading', done, total) });
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      failures.push(err.message);
      continue;
    }
    sweepStaleTemps(dirname(dir));
    const tmp = claimTemp(dirname(dir), known.name, 'dir');
    await mkdir(tmp);
    try {
      hooks.onStage?.(`unpacking and checking ${basename(archive)}`);
      const files = source.kind === 'tar.gz' ? await unpackTar(archive, known, tmp, hooks) : await convertHdf5(archive, known, tmp, hooks);
      const manifest: Manifest = { name: known.name, source: source.url, created: new Date().toISOString(), files };
      await writeFileAtomic(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      await placeDatasetFolder(tmp, dir);
      releaseTemp(tmp);
      await unlink(archive).catch(() => undefined);
      return { dir, source: source.url, manifest, failures };
    } catch (err) {
      discardTemp(tmp);
      // A complete archive whose content is wrong is no use to a resume: fetch it afresh next time.
      if (err instanceof DataError) await unlink(archive).catch(() => undefined);
      throw err;
    }
  }
  throw new DataError(
    `could not download ${known.name}: ${failures.join('; ')}. Without network: put ${Object.values(known.files)
      .map((f) => f.name)
      .join(', ')} ` + `in a folder and pass --data DIR to \`vectro recall ${known.name}\``,
  );
}

export async function isInstalled(name: string): Promise<boolean> {
  return (await readManifest(join(dataDir(), name))) !== undefined;
}

/** The digest check of one file: the published size and sha256 must both match. */
function check(file: KnownFile, bytes: number, sha256: string, from: string): void {
  if (bytes !== file.bytes || sha256 !== file.sha256) {
    throw new DataError(
      `${from}: ${file.name} does not match its published digest (got ${bytes} bytes, sha256 ${sha256.slice(0, 16)}...; ` +
        `expected ${file.bytes} bytes, ${file.sha256.slice(0, 16)}...); the download was removed, run again to fetch it afresh`,
    );
  }
}

/** Extracts the dataset's files from a TEXMEX `.tar.gz` (others are skipped), hashing as they stream. */
async function unpackTar(archive: string, known: KnownDataset, into: string, hooks: InstallHooks): Promise<Manifest['files']> {
  const wanted = new Map(Object.values(known.files).map((f) => [f.name, f]));
  const got: Manifest['files'] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const file = header.type === 'file' ? wanted.get(basename(header.name)) : undefined;
    if (!file) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    stream.on('data', (chunk) => {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    });
    pipeline(stream, createWriteStream(join(into, file.name)))
      .then(() => {
        const sha256 = hash.digest('hex');
        check(file, bytes, sha256, archive);
        got.push({ name: file.name, bytes, sha256, verified: true });
        next();
      })
      .catch((err) => next(err));
  });
  let read = 0;
  const input = createReadStream(archive);
  input.on('data', (chunk) => hooks.onProgress?.('unpacking', (read += chunk.length), undefined));
  try {
    await pipeline(input, createGunzip(), ex, { signal: hooks.signal });
  } catch (err) {
    stopIfAborted(hooks.signal);
    if (err instanceof DataError) throw err;
    throw new DataError(`${archive}: not a readable .tar.gz (${(err as Error).message})`);
  }
  const missing = [known.files.base, known.files.query, known.files.groundtruth].filter((f) => !got.some((g) => g.name === f.name));
  if (missing.length > 0) throw new DataError(`${archive}: has no ${missing.map((f) => f.name).join(', ')}`);
  return got;
}

/**
 * Converts an ann-benchmarks HDF5 file to the TEXMEX files: `train` and `test` become the base and
 * query `.fvecs`, which must match the published digests byte for byte. `neighbors` becomes the
 * ground truth; ann-benchmarks computed it themselves, so it may order exact ties differently from
 * TEXMEX's file: it is kept, marked unverified, when only its digest differs.
 */
async function convertHdf5(archive: string, known: KnownDataset, into: string, hooks: InstallHooks): Promise<Manifest['files']> {
  const got: Manifest['files'] = [];
  const parts: [string, KnownFile, 'fvecs' | 'ivecs'][] = [
    ['train', known.files.base, 'fvecs'],
    ['test', known.files.query, 'fvecs'],
    ['neighbors', known.files.groundtruth, 'ivecs'],
  ];
  for (const [name, file, format] of parts) {
    const m = await Hdf5Matrix.open(archive, name);
    try {
      const path = join(into, file.name);
      await writeMatrix(m, path, format, hooks);
      const { bytes, sha256 } = await sha256File(path);
      const verified = bytes === file.bytes && sha256 === file.sha256;
      if (!verified && (format === 'fvecs' || bytes !== file.bytes)) check(file, bytes, sha256, archive);
      got.push({ name: file.name, bytes, sha256, verified });
    } finally {
      m.close();
    }
  }
  return got;
}

/** Writes an HDF5 matrix as `.fvecs` (float32 rows) or `.ivecs` (int32 rows), block by block. */
async function writeMatrix(m: Hdf5Matrix, path: string, format: 'fvecs' | 'ivecs', hooks: InstallHooks): Promise<void> {
  const w = await VectorWriter.create(path, 'fvecs', m.dim, m.count);
  try {
    const block = 65_536;
    const rows = new Float32Array(block * m.dim);
    const ints = format === 'ivecs' ? new Int32Array(rows.buffer) : undefined;
    for (let start = 0; start < m.count; start += block) {
      stopIfAborted(hooks.signal);
      const n = Math.min(block, m.count - start);
      // ivecs rows have the fvecs layout with int32 values: read ints into the same bytes.
      m.read(start, n, ints ? ints.subarray(0, n * m.dim) : rows.subarray(0, n * m.dim));
      await w.write(rows.subarray(0, n * m.dim));
      hooks.onProgress?.(`converting ${m.name}`, start + n, m.count);
    }
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}
