// `npm test`: builds what is needed, runs the TypeScript tests with node's test runner, then the Rust
// tests. With a Rust toolchain present the native addon must load (VECTRO_EXPECT_NATIVE=1).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findCargoDir, root, run } from './toolchain.mjs';

if (run(process.execPath, [join(root, 'scripts', 'build.mjs')]) !== 0) process.exit(1);

const cargoDir = findCargoDir();
if (cargoDir) process.env.VECTRO_EXPECT_NATIVE = '1';
// `npm test -- --long`: the fuzz suites run 20 times the cases (about 10 minutes).
if (process.argv.includes('--long')) {
  process.env.VECTRO_FUZZ_LONG = '1';
  process.env.VECTRO_FUZZ_CASES = '30000';
}

const testDir = join(root, 'dist', 'test');
const files = readdirSync(testDir)
  .filter((f) => f.endsWith('.test.js'))
  .sort()
  .map((f) => join('dist', 'test', f));
const tsStatus = run(process.execPath, ['--test', '--test-concurrency=1', ...files]);

let rustStatus = 0;
if (cargoDir) {
  rustStatus = run('cargo', ['test', '--release', '-p', 'vectro-core', '--lib'], cargoDir);
} else {
  console.log('vectro: no Rust toolchain: skipped cargo test');
}
process.exit(tsStatus !== 0 || rustStatus !== 0 ? 1 : 0);
