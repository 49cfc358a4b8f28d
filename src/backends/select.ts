import { loadNative } from '../native/loader.js';
import type { NativeAddon } from '../native/types.js';
import { VectroError } from '../errors.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js/index.js';
import { nativeBackend } from './native.js';

export type BackendChoice = 'auto' | 'native' | 'js';

let native: Backend | undefined;
let fallbackNoted = false;

/**
 * The backend for `--backend`: `auto` is native when the addon loads, else js (and says so once,
 * through `note`, unless the caller passes none). `native` fails with the reason the load failed.
 */
export function selectBackend(choice: BackendChoice, note?: (message: string) => void): Backend {
  if (choice === 'js') return jsBackend;
  const load = loadNative();
  if (load.ok) return (native ??= nativeBackend(load.addon));
  if (choice === 'native') {
    throw new VectroError(`--backend native: the native addon could not be loaded: ${load.reason}`, 1);
  }
  if (note && !fallbackNoted) {
    fallbackNoted = true;
    note(`note: native backend unavailable (${load.reason}); using the js backend`);
  }
  return jsBackend;
}

/** The native addon when `choice` selects the native backend, else undefined (the js baseline): what the index classes run on. */
export function nativeAddonFor(choice: BackendChoice = 'auto'): NativeAddon | undefined {
  if (selectBackend(choice).name !== 'native') return undefined;
  const load = loadNative();
  return load.ok ? load.addon : undefined;
}
