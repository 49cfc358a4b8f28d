import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './types.js';

/** Where `napi build --platform` puts the addon (see scripts/build.mjs). */
const NATIVE_DIR = fileURLToPath(new URL('../../../native/', import.meta.url));

export type NativeLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

/** File names a build for this platform can have, most specific first. */
function candidateNames(): string[] {
  const base = `${process.platform}-${process.arch}`;
  return [`vectro.${base}-gnu.node`, `vectro.${base}-musl.node`, `vectro.${base}.node`, 'vectro.node'];
}

function tryLoad(path: string): NativeLoad {
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (typeof addon?.encode !== 'function' || typeof addon?.info !== 'function') {
      return { ok: false, reason: `${path} is not vectro's addon (no encode/info exports)` };
    }
    return { ok: true, addon, path };
  } catch (err) {
    return { ok: false, reason: `${path}: ${(err as Error).message.split('\n')[0]}` };
  }
}

let cached: NativeLoad | undefined;

/**
 * Loads the Rust addon once: `VECTRO_NATIVE_PATH` if set (and nothing else, since the user asked
 * for that file), otherwise the build in native/. On failure the reason says what was tried.
 */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  const override = process.env.VECTRO_NATIVE_PATH;
  if (override) {
    cached = existsSync(override) ? tryLoad(override) : { ok: false, reason: `VECTRO_NATIVE_PATH=${override}: no such file` };
    return cached;
  }
  const failures: string[] = [];
  for (const name of candidateNames()) {
    const path = NATIVE_DIR + name;
    if (!existsSync(path)) continue;
    const load = tryLoad(path);
    if (load.ok) return (cached = load);
    failures.push(load.reason);
  }
  cached = {
    ok: false,
    reason: failures.length > 0 ? failures.join('; ') : `no addon built in ${NATIVE_DIR} (run \`npm run build\` with a Rust toolchain installed)`,
  };
  return cached;
}
