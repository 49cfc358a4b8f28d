import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import { formatRate } from '../../units.js';
import { cachedDatasets, dataDir, folderBytes } from '../../datasets/cache.js';
import { installDataset, isInstalled, sourceFromUrl } from '../../datasets/install.js';
import { datasetDifficulty, type Difficulty } from '../../datasets/difficulty.js';
import { knownDataset, KNOWN_DATASETS } from '../../datasets/registry.js';
import { resolveDataset } from '../../datasets/resolve.js';
import { withInterrupt } from '../../signals.js';
import { parseOptions, threadsOption } from '../options.js';
import { keyValueTable, printJson } from '../output.js';
import { renderTerminalTable } from '../../export/exporters.js';
import { Progress } from '../progress.js';

const listOptions = z.object({ json: z.boolean().default(false), stats: z.boolean().default(false), threads: threadsOption() });
const downloadOptions = z.object({
  url: z.array(z.string()).optional(),
  force: z.boolean().default(false),
  quiet: z.boolean().default(false),
  json: z.boolean().default(false),
});

export function registerDatasets(program: Command): void {
  const datasets = program
    .command('datasets')
    .summary('list and download the standard datasets `vectro recall` measures')
    .description(
      `Known datasets (${KNOWN_DATASETS.map((d) => d.name).join(', ')}) and generated ones live in the cache folder: VECTRO_DATA_DIR, default ~/.cache/vectro.`,
    );

  datasets
    .command('list')
    .description('Show the known datasets, whether each is in the cache (or bundled), and their sizes; then generated ones.')
    .option('--json', 'print the list as JSON')
    .option('--stats', 'also measure how hard each dataset on hand is: relative contrast and LID (cached after the first time)')
    .option('--threads <n>', 'threads for --stats (default: all cores)')
    .action(async (raw: unknown) => {
      const opts = parseOptions(listOptions, raw);
      const cached = await cachedDatasets();
      const rows = [];
      for (const d of KNOWN_DATASETS) {
        const m = cached.get(d.name);
        const dir = join(dataDir(), d.name);
        const status = m ? 'in the cache' : d.name === 'siftsmall' ? 'bundled' : 'not downloaded';
        const bytes = m ? await folderBytes(dir) : Object.values(d.files).reduce((s, f) => s + f.bytes, 0);
        const dataset = m || d.name === 'siftsmall' ? await resolveDataset(d.name) : undefined;
        rows.push({ name: d.name, status, path: m ? dir : null, bytes, description: d.description, dataset });
      }
      for (const [name, m] of cached) {
        if (knownDataset(name)) continue;
        const path = join(dataDir(), name);
        const dataset = await resolveDataset(path, { metric: m.metric ?? 'l2' }).catch(() => undefined);
        rows.push({ name, status: 'generated', path, bytes: await folderBytes(path), description: m.source, dataset });
      }
      const stats = new Map<string, Difficulty>();
      if (opts.stats) {
        const progress = new Progress(!opts.json);
        for (const r of rows.filter((r) => r.dataset)) {
          progress.start(`${r.name}: measuring relative contrast and LID`);
          const d = await withInterrupt((signal) =>
            datasetDifficulty(r.dataset!, {
              seed: 42,
              threads: opts.threads,
              signal,
              onProgress: (s, done, total) => progress.update(`${r.name}: ${s}`, done, total),
            }),
          ).finally(() => progress.stop());
          stats.set(r.name, d);
        }
      }
      if (opts.json)
        return printJson({
          cache: dataDir(),
          datasets: rows.map(({ dataset, ...r }) => ({ ...r, metric: dataset?.metric ?? null, difficulty: stats.get(r.name) ?? null })),
        });
      console.log(`cache: ${dataDir()} (set VECTRO_DATA_DIR to move it)`);
      const table = {
        suite: 'datasets',
        header: ['name', 'status', 'size', ...(opts.stats ? ['metric', 'rel. contrast', 'LID k=20', 'LID k=100'] : []), 'description'],
        rows: rows.map((r) => {
          const d = stats.get(r.name);
          const f = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(2));
          const hardness = opts.stats ? [r.dataset?.metric ?? '-', f(d?.relative_contrast), f(d?.lid_20), f(d?.lid_100)] : [];
          return [r.name, r.status, `${formatRate(r.bytes)}B`, ...hardness, r.description];
        }),
      };
      console.log(renderTerminalTable(table));
      if (!cached.has('sift1m'))
        console.log('sift1m: `vectro datasets download sift1m` (about 161 MB), or pass `--data DIR` with its files to `vectro recall sift1m`.');
      console.log('synthetic: generated on first use by `vectro recall synthetic --n N --dim D --queries Q`.');
    });

  datasets
    .command('download')
    .description(
      'Fetch a known dataset into the cache from its official source, falling back to a mirror; resumes an interrupted ' +
        'download, checks every file against its published sha256, and only then makes the dataset available.',
    )
    .argument('<name>', `${KNOWN_DATASETS.map((d) => d.name).join(' or ')}`)
    .option('--url <url...>', "fetch from these URLs instead (.tar.gz like TEXMEX's, or an ann-benchmarks .hdf5), in order")
    .option('--force', 'download again even when the dataset is in the cache')
    .option('--json', 'print the outcome as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (name: string, raw: unknown) => {
      const opts = parseOptions(downloadOptions, raw);
      const known = knownDataset(name);
      if (!known) {
        const hint = name === 'synthetic' ? ': synthetic data is generated, not downloaded (`vectro recall synthetic`)' : '';
        throw new UsageError(`unknown dataset '${name}'${hint} (known: ${KNOWN_DATASETS.map((d) => d.name).join(', ')})`);
      }
      const sources = opts.url ? opts.url.map(sourceFromUrl) : known.sources;
      if (name === 'siftsmall' && !opts.url && !opts.force) {
        // Bundled with vectro: nothing to fetch, and no network to try.
        if (opts.json) printJson({ dataset: name, dir: null, downloaded: false, bundled: true });
        else if (!opts.quiet)
          console.log(
            'siftsmall is bundled with vectro (fixtures/siftsmall) and works offline; nothing to download (--force copies it into the cache from the network)',
          );
        return;
      }
      if (!opts.force && (await isInstalled(name))) {
        if (opts.json) printJson({ dataset: name, dir: join(dataDir(), name), downloaded: false });
        else if (!opts.quiet) console.log(`${name} is already in the cache (${join(dataDir(), name)}); --force downloads it again`);
        return;
      }
      const progress = new Progress(!opts.quiet && !opts.json);
      const installed = await withInterrupt((signal) =>
        installDataset(known, sources, {
          signal,
          onStage: (stage) => progress.start(stage),
          onProgress: (stage, done, total) =>
            stage === 'downloading' || stage === 'unpacking' ? progress.updateBytes(stage, done, total) : progress.update(stage, done, total ?? done),
        }),
      ).finally(() => progress.stop());
      if (opts.json)
        return printJson({
          dataset: name,
          dir: installed.dir,
          downloaded: true,
          source: installed.source,
          failures: installed.failures,
          files: installed.manifest.files,
        });
      if (opts.quiet) return;
      for (const f of installed.failures) console.log(`note: ${f}; used the next source`);
      console.log(
        keyValueTable([
          ['dataset', `${name} in ${installed.dir}`],
          ['source', installed.source],
          ...installed.manifest.files.map((f): [string, string] => [
            f.name,
            `${f.bytes.toLocaleString('en-US')} bytes, sha256 ${f.sha256.slice(0, 16)}... ${f.verified ? 'matches the published digest' : 'kept (no published digest matches this source)'}`,
          ]),
        ]),
      );
    });
}
