import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname, extname, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { isStreamOutput, outputTarget } from '../formats/atomic.js';
import { ensureSpace } from '../formats/space.js';
import { reportsToStderr } from './output.js';

/** An output a command will write: the flag that names it, its path, and (if known) about how many bytes. */
export interface PlannedOutput {
  flag: string;
  path: string | undefined;
  bytes?: number;
  /** Binary data (a .vq, .vidx, .ivecs ...): `-` then sends it to stdout and the report to stderr. */
  binary?: boolean;
}

/** A folder no output may go into, because the run reads or caches files there. */
export interface ProtectedFolder {
  dir: string;
  why: string;
}

/** An existing file's stat, or undefined. */
const statOf = (path: string) => stat(path).catch(() => undefined);

/** The identity of a file (device and inode), so a link or another spelling of an input is caught. */
const identity = (s: Stats | undefined) => (s ? `${s.dev}:${s.ino}` : undefined);

/**
 * Refuses an output whose extension is not one of `exts` (`what` says what is written). Streams
 * (`-`, /dev/null, a FIFO) carry no name to check.
 */
export function checkOutputExtension(flag: string, path: string, exts: string[], what: string): void {
  if (!exts.includes(extname(path).toLowerCase()) && !isStreamOutput(path)) throw new UsageError(`${flag} ${path}: ${what}`);
}

/**
 * Checks every output of a command before any work: none may be an input (however it is spelled or
 * linked), a file in a folder the run reads or caches (`protect`), a directory, a block device or
 * socket, the same file as another output, or in a folder that is missing or not writable. `-`
 * (stdout), character devices and FIFOs are written in place and skip the folder checks. Then,
 * where sizes are given, checks that each file system has room. Exit 2 for a bad path, 1 for a full disk.
 */
export async function planOutputs(inputs: (string | undefined)[], outputs: PlannedOutput[], protect: ProtectedFolder[] = []): Promise<void> {
  const inputIds = new Map<string, string>();
  for (const input of inputs) {
    if (input === undefined) continue;
    const id = identity(await statOf(input));
    if (id) inputIds.set(id, input);
    inputIds.set(resolve(input), input);
  }
  const guarded: ProtectedFolder[] = [];
  for (const p of protect) guarded.push({ dir: await realpath(p.dir).catch(() => resolve(p.dir)), why: p.why });
  const seen = new Map<string, string>();
  const needs = new Map<number, { dir: string; bytes: number; flags: string[] }>();
  for (const { flag, path, bytes, binary } of outputs) {
    if (path === undefined) continue;
    const where = `${flag} ${path}`;
    if (path === '-') {
      const other = seen.get('-');
      if (other) throw new UsageError(`${where}: ${other} writes to stdout already; give one of them a file`);
      seen.set('-', flag);
      if (binary) {
        if (process.stdout.isTTY) throw new UsageError(`${where}: would print binary data to the terminal; redirect stdout or name a file`);
        reportsToStderr();
      }
      continue;
    }
    const info = await statOf(path);
    const id = identity(info);
    const input = inputIds.get(resolve(path)) ?? (id ? inputIds.get(id) : undefined);
    if (input !== undefined) throw new UsageError(`${where}: is the input file ${input}; choose another output`);
    if (info?.isDirectory()) throw new UsageError(`${where}: is a directory; give a file name`);
    const target = outputTarget(path);
    if ('refused' in target) throw new UsageError(`${where}: ${target.refused}`);
    const key = id ?? resolve(path);
    const other = seen.get(key);
    if (other) throw new UsageError(`${where}: is also the output of ${other}; give each output its own file`);
    seen.set(key, flag);
    if (target.kind === 'stream') continue;
    const folder = dirname(resolve(path));
    const folderInfo = await statOf(folder);
    if (!folderInfo) throw new UsageError(`${where}: the folder ${dirname(path)} does not exist; create it first`);
    if (!folderInfo.isDirectory()) throw new UsageError(`${where}: ${dirname(path)} is not a folder`);
    const real = await realpath(folder);
    const inside = guarded.find((g) => real === g.dir || real.startsWith(g.dir + sep));
    if (inside) throw new UsageError(`${where}: is inside ${inside.dir}, ${inside.why}; write it elsewhere`);
    const writable = await access(folder, constants.W_OK).then(
      () => true,
      () => false,
    );
    if (!writable) throw new UsageError(`${where}: the folder ${dirname(path)} is not writable`);
    if (bytes !== undefined) {
      const need = needs.get(folderInfo.dev) ?? { dir: folder, bytes: 0, flags: [] };
      need.bytes += bytes;
      need.flags.push(flag);
      needs.set(folderInfo.dev, need);
    }
  }
  for (const need of needs.values()) await ensureSpace(need.dir, need.bytes, need.flags.join(', '));
}
