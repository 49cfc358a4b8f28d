import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, tempDir } from './helpers.js';
import { loadNative } from '../src/native/loader.js';

test('the native addon loads wherever a Rust toolchain is installed', { skip: process.env.VECTRO_EXPECT_NATIVE !== '1' && 'no Rust toolchain' }, () => {
  const load = loadNative();
  assert.ok(load.ok, `cargo is installed but the addon did not load: ${load.ok ? '' : load.reason}`);
  const info = load.addon.info();
  assert.ok(['avx512', 'avx2', 'scalar', 'neon'].includes(info.simd), info.simd);
  assert.ok(info.threads >= 1);
});

test('a bad VECTRO_NATIVE_PATH: --backend native says why; auto falls back to js and says so once', () => {
  const env = { VECTRO_NATIVE_PATH: '/nonexistent/vectro.node' };
  const forced = cli(['quantize', 'fixtures/worked-example.fvecs', '-o', '/tmp/never.vq', '--backend', 'native'], env);
  assert.equal(forced.code, 1);
  assert.equal(
    forced.stderr.trim(),
    'error: --backend native: the native addon could not be loaded: VECTRO_NATIVE_PATH=/nonexistent/vectro.node: no such file',
  );

  const dir = tempDir();
  const ran = cli(['quantize', 'fixtures/worked-example.fvecs', '-o', `${dir}/w.vq`], env);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stderr, '', 'a piped run keeps stderr quiet');
  assert.match(ran.stdout, /backend\s+│ js \(native backend not loaded; see `vectro info`\)/);

  const info = cli(['info', '--json'], env);
  assert.equal(info.code, 0);
  const parsed = JSON.parse(info.stdout);
  assert.equal(parsed.native.loaded, false);
  assert.equal(parsed.defaultBackend, 'js');
  assert.equal(parsed.simd, 'js');
});

test('VECTRO_SIMD caps the instruction set the kernels use', { skip: process.env.VECTRO_EXPECT_NATIVE !== '1' && 'no Rust toolchain' }, () => {
  const r = cli(['info', '--json'], { VECTRO_SIMD: 'scalar' });
  assert.equal(JSON.parse(r.stdout).simd, 'scalar');
});
