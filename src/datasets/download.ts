import { createWriteStream } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Client } from 'basic-ftp';
import { DataError, InterruptedError } from '../errors.js';
import { signalExitCode } from '../signals.js';

/** Give up on a server that has not answered (or sent a byte) for this long. */
const STALL_MS = 20_000;

export interface DownloadHooks {
  /** Bytes on disk so far (a resumed download starts above 0) and the total when the server says. */
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** A download failed in a way another source may not: the message names the URL and the cause. */
export class DownloadError extends DataError {}

/**
 * Fetches `url` (http, https or ftp) into `dest`. Bytes go to `dest.part`, which a later call resumes
 * (HTTP Range, FTP REST); `dest` appears only once the whole file is there. Ctrl-C keeps the part.
 */
export async function download(url: string, dest: string, hooks: DownloadHooks = {}): Promise<void> {
  const part = `${dest}.part`;
  const have = (await stat(part).catch(() => undefined))?.size ?? 0;
  const protocol = new URL(url).protocol;
  if (protocol === 'ftp:') await fetchFtp(url, part, have, hooks);
  else if (protocol === 'http:' || protocol === 'https:') await fetchHttp(url, part, have, hooks);
  else throw new DownloadError(`${url}: cannot download ${protocol} URLs (use http, https or ftp)`);
  await rename(part, dest);
}

function interrupted(signal: AbortSignal): InterruptedError {
  return new InterruptedError(signalExitCode(String(signal.reason)));
}

async function fetchHttp(url: string, part: string, have: number, hooks: DownloadHooks): Promise<void> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  hooks.signal?.addEventListener('abort', onAbort);
  let stall = setTimeout(() => controller.abort(), STALL_MS);
  const fresh = () => {
    clearTimeout(stall);
    stall = setTimeout(() => controller.abort(), STALL_MS);
  };
  try {
    let response: Response;
    try {
      response = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: controller.signal });
    } catch (err) {
      throw failure(url, err, hooks.signal);
    }
    if (response.status === 416 && have > 0) {
      // Everything was already there (the server has no bytes past the part).
      await response.body?.cancel();
      return;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DownloadError(`${url}: the server answered ${response.status} ${response.statusText}`.trimEnd());
    }
    const resumed = response.status === 206;
    const start = resumed ? have : 0;
    const length = Number(response.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? start + length : undefined;
    const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
    let done = start;
    hooks.onProgress?.(done, total);
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        fresh();
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        done += chunk.length;
        hooks.onProgress?.(done, total);
      }
    } catch (err) {
      const f = failure(url, err, hooks.signal);
      if (!(f instanceof DownloadError) || (err as Error).name === 'AbortError') throw f;
      throw new DownloadError(`${url}: the connection broke after ${done} of ${total ?? '?'} bytes (${f.message.slice(url.length + 2)}); run again to resume`);
    } finally {
      await new Promise<void>((r) => out.end(() => r()));
    }
    if (total !== undefined && done !== total) throw new DownloadError(`${url}: the connection closed after ${done} of ${total} bytes; run again to resume`);
  } finally {
    clearTimeout(stall);
    hooks.signal?.removeEventListener('abort', onAbort);
  }
}

async function fetchFtp(url: string, part: string, have: number, hooks: DownloadHooks): Promise<void> {
  const u = new URL(url);
  const client = new Client(STALL_MS);
  const onAbort = () => client.close();
  hooks.signal?.addEventListener('abort', onAbort);
  try {
    await client.access({
      host: u.hostname,
      port: u.port ? Number(u.port) : 21,
      user: decodeURIComponent(u.username) || 'anonymous',
      password: decodeURIComponent(u.password) || 'anonymous@vectro',
    });
    const remote = decodeURIComponent(u.pathname);
    const total = await client.size(remote).catch(() => undefined);
    if (total !== undefined && have >= total) return;
    const start = total !== undefined ? have : 0;
    client.trackProgress((info) => hooks.onProgress?.(start + info.bytes, total));
    const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
    await client.downloadTo(out as Writable, remote, start);
  } catch (err) {
    throw failure(url, err, hooks.signal);
  } finally {
    client.close();
    hooks.signal?.removeEventListener('abort', onAbort);
  }
}

/** The error to report for a failed transfer: interrupted, stalled, or the network's own reason. */
function failure(url: string, err: unknown, signal: AbortSignal | undefined): Error {
  if (err instanceof DownloadError || err instanceof InterruptedError) return err;
  if (signal?.aborted) return interrupted(signal);
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'AbortError') return new DownloadError(`${url}: no data for ${STALL_MS / 1000} s; run again to resume`);
  const cause = e.cause?.code ?? e.cause?.message ?? (e as NodeJS.ErrnoException).code ?? e.message;
  return new DownloadError(`${url}: ${cause === 'ENOTFOUND' || cause === 'EAI_AGAIN' ? 'cannot resolve the host (offline?)' : cause}`);
}
