// `npm run lint`: the checks CI runs besides the tests. Biome (lint rules and formatting of the
// TypeScript and scripts), the TypeScript compiler with no output, and, with a Rust toolchain,
// `cargo fmt --check` and clippy with warnings as errors. `npm run lint -- --fix` rewrites what
// Biome and cargo fmt can fix.
import { join } from 'node:path';
import { findCargoDir, root, run } from './toolchain.mjs';

const fix = process.argv.includes('--fix');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const steps = [
  ['biome', [bin('biome'), fix ? ['check', '--write'] : ['check', '--error-on-warnings']].flat()],
  ['tsc --noEmit', [bin('tsc'), '-p', 'tsconfig.json', '--noEmit']],
];
const cargoDir = findCargoDir();
if (cargoDir) {
  steps.push(['cargo fmt', [join(cargoDir, 'cargo'), 'fmt', ...(fix ? [] : ['--check'])]]);
  steps.push(['cargo clippy', [join(cargoDir, 'cargo'), 'clippy', '--all-targets', '--release', '--quiet', '--', '-D', 'warnings']]);
} else {
  console.log('vectro: no Rust toolchain: skipped cargo fmt and clippy');
}
const failed = [];
for (const [name, [command, ...args]] of steps) {
  if (run(command, args, cargoDir ?? undefined) !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`lint: ${failed.join(', ')} failed`);
  process.exit(1);
}
console.log('lint: biome, tsc, cargo fmt and clippy are clean');
