import { cpus } from 'node:os';
import type { Command } from 'commander';
import { selectBackend } from '../../backends/select.js';
import { loadNative } from '../../native/loader.js';
import { VERSION } from '../../version.js';
import { infoOptions, parseOptions } from '../options.js';
import { keyValueTable, printJson } from '../output.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .summary('show the version, the native backend, its SIMD level and threads')
    .option('--json', 'print the result as one JSON object on stdout')
    .action((raw: unknown) => {
      const opts = parseOptions(infoOptions, raw);
      const load = loadNative();
      const native = load.ok ? load.addon.info() : undefined;
      const info = {
        vectro: VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpu: cpus()[0]?.model ?? 'unknown',
        native: load.ok ? { loaded: true, path: load.path } : { loaded: false, reason: load.reason },
        simd: native?.simd ?? 'js',
        simdSupported: native?.simdSupported ?? [],
        threads: native?.threads ?? 1,
        defaultBackend: selectBackend('auto').name,
      };
      if (opts.json) return printJson(info);
      console.log(
        keyValueTable([
          ['vectro', info.vectro],
          ['node', info.node],
          ['platform', info.platform],
          ['cpu', info.cpu],
          ['native backend', load.ok ? `loaded from ${load.path}` : `not loaded: ${load.reason}`],
          ['simd', native ? `${info.simd} (supported: ${info.simdSupported.join(', ')})` : 'n/a (js backend)'],
          ['threads', String(info.threads)],
          ['default backend', info.defaultBackend],
        ]),
      );
    });
}
