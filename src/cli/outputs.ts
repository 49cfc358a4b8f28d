import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { ensureSpace } from '../formats/space.js';

/** An output a command will write: the flag that names it, its path, and (if known) about how many bytes. */
export interface PlannedOutput {
  flag: string;
  path: string | undefined;
  bytes?: number;
}

/** An existing file's stat, or undefined. */
const statOf = (path: string) => stat(path).catch(() => undefined);

/** The identity of a file (device and inode), so a link or another spelling of an input is caught. */
const identity = (s: Stats | undefined) => (s ? `${s.dev}:${s.ino}` : undefined);

/**
 * Checks every output of a command before any work: none may be an input (however it is spelled or
 * linked), a directory, the same file as another output, or in a folder that does not exist. `-`
 * (stdout) and undefined outputs are skipped. Then, where sizes are given, checks that each file
 * system has room for them. Exit 2 for a bad path, 1 for a full disk.
 */
export async function planOutputs(inputs: (string | undefined)[], outputs: PlannedOutput[]): Promise<void> {
  const inputIds = new Map<string, string>();
  for (const input of inputs) {
    if (input === undefined) continue;
    const id = identity(await statOf(input));
    if (id) inputIds.set(id, input);
    inputIds.set(resolve(input), input);
  }
  const seen = new Map<string, string>();
  const needs = new Map<number, { dir: string; bytes: number; flags: string[] }>();
  for (const { flag, path, bytes } of outputs) {
    if (path === undefined || path === '-') continue;
    const where = `${flag} ${path}`;
    const info = await statOf(path);
    const id = identity(info);
    const input = inputIds.get(resolve(path)) ?? (id ? inputIds.get(id) : undefined);
    if (input !== undefined) throw new UsageError(`${where}: is the input file ${input}; choose another output`);
    if (info?.isDirectory()) throw new UsageError(`${where}: is a directory; give a file name`);
    const key = id ?? resolve(path);
    const other = seen.get(key);
    if (other) throw new UsageError(`${where}: is also the output of ${other}; give each output its own file`);
    seen.set(key, flag);
    const folder = dirname(resolve(path));
    const folderInfo = await statOf(folder);
    if (!folderInfo) throw new UsageError(`${where}: the folder ${dirname(path)} does not exist; create it first`);
    if (!folderInfo.isDirectory()) throw new UsageError(`${where}: ${dirname(path)} is not a folder`);
    if (bytes !== undefined) {
      const need = needs.get(folderInfo.dev) ?? { dir: folder, bytes: 0, flags: [] };
      need.bytes += bytes;
      need.flags.push(flag);
      needs.set(folderInfo.dev, need);
    }
  }
  for (const need of needs.values()) await ensureSpace(need.dir, need.bytes, need.flags.join(', '));
}
