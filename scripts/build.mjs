// Builds vectro: the TypeScript (required) and the Rust addon (when a Rust toolchain is present).
// Runs on `npm install` (prepare) and `npm run build`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findCargoDir, run } from './toolchain.mjs';

const require = createRequire(import.meta.url);

const tsc = require.resolve('typescript/bin/tsc');
if (run(process.execPath, [tsc, '-p', 'tsconfig.json']) !== 0) {
  console.error('vectro: TypeScript compilation failed');
  process.exit(1);
}

const cargoDir = findCargoDir();
if (!cargoDir) {
  console.log(
    'vectro: no Rust toolchain found (cargo is neither on PATH nor in ~/.cargo/bin), so the native backend\n' +
      'was not built; vectro works on its js backend. Install Rust (rustup) and run `npm run build` for native speed.',
  );
  process.exit(0);
}

const napiPackage = require.resolve('@napi-rs/cli/package.json');
const napiBin = join(dirname(napiPackage), require(napiPackage).bin.napi);
const status = run(
  process.execPath,
  [
    napiBin,
    'build',
    '--release',
    '--platform',
    '--manifest-path',
    'crates/vectro-node/Cargo.toml',
    '--package-json-path',
    'package.json',
    '--output-dir',
    'native',
    '--no-js',
  ],
  cargoDir,
);
if (status !== 0) {
  // Keep the install usable on the js backend; `npm test` fails loudly when cargo exists but no addon loads.
  console.error('vectro: building the native addon failed (see above); vectro will use its js backend');
}
