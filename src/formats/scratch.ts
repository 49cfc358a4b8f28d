import { closeSync, lstatSync, openSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Temporary names that vectro can prove it made, and the sweep that removes a killed run's.
 *
 * A run's temporaries are named `.NAME.vectro-tmp-RUN-N`, where RUN is the process id and a random
 * token. While a folder holds any of them, it also holds the run's ownership record
 * `.vectro-run-RUN.lock`: its first line names the run and the machine, each further line one
 * temporary the run created there (`file NAME` or `dir NAME`). The record is written before the
 * temporary is created and removed when the folder's last temporary is gone.
 *
 * A later run removes a dead run's leftovers (SIGKILL, power loss) only through such a record: a
 * name it lists, of the run's own pattern, that is a regular file, or a folder whose regular files
 * it removes before `rmdir` (never recursively, never through a link). Anything else, whatever its
 * name, is left alone.
 */

const RUN = `${process.pid}-${randomBytes(6).toString('hex')}`;
const HOST = hostname();
const RECORD = /^\.vectro-run-(\d+)-([0-9a-f]{12})\.lock$/;
/** A record is a few lines; anything much larger was not written by vectro. */
const RECORD_MAX_BYTES = 1 << 20;

let counter = 0;

/** Folders where this run has temporaries now: folder -> (record path, live temporary names). */
const live = new Map<string, { record: string; names: Set<string> }>();

const recordName = (run: string) => `.vectro-run-${run}.lock`;
const header = (run: string, host: string) => `vectro-run ${run} ${host}\n`;

/**
 * A new temporary name for `target` in `folder`, recorded as this run's before anything of that
 * name exists. Call `release` once it is renamed into place or removed.
 */
export function claimTemp(folder: string, target: string, kind: 'file' | 'dir'): string {
  const dir = resolve(folder);
  const name = `.${target}.vectro-tmp-${RUN}-${counter++}`;
  let entry = live.get(dir);
  if (!entry) {
    const record = join(dir, recordName(RUN));
    const fd = openSync(record, 'wx');
    try {
      writeSync(fd, header(RUN, HOST));
    } finally {
      closeSync(fd);
    }
    entry = { record, names: new Set() };
    live.set(dir, entry);
  }
  const fd = openSync(entry.record, 'a');
  try {
    writeSync(fd, `${kind} ${name}\n`);
  } finally {
    closeSync(fd);
  }
  entry.names.add(name);
  return join(dir, name);
}

/** The temporary at `path` is gone (renamed into place or removed); the record goes with the folder's last one. */
export function releaseTemp(path: string): void {
  const dir = resolve(dirname(path));
  const entry = live.get(dir);
  if (!entry?.names.delete(basename(path))) return;
  if (entry.names.size === 0) {
    live.delete(dir);
    try {
      unlinkSync(entry.record);
    } catch {
      // already gone
    }
  }
}

/** Removes a temporary of this run (a file, or a folder of regular files) and forgets it. */
export function discardTemp(path: string): void {
  removeOwned(path, 'any');
  releaseTemp(path);
}

/** Removes whatever this run still has (its exit path); each step ignores what is already gone. */
export function removeAllTemps(): void {
  for (const [dir, entry] of live) {
    for (const name of entry.names) removeOwned(join(dir, name), 'any');
    try {
      unlinkSync(entry.record);
    } catch {
      // already gone
    }
  }
  live.clear();
}
process.on('exit', removeAllTemps);

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** Removes a temporary this or a dead run made: a regular file, or a folder of regular files. Never follows a link. */
function removeOwned(path: string, kind: 'file' | 'dir' | 'any'): void {
  let info: import('node:fs').Stats;
  try {
    info = lstatSync(path);
  } catch {
    return;
  }
  try {
    if (info.isFile() && kind !== 'dir') unlinkSync(path);
    else if (info.isDirectory() && kind !== 'file') {
      for (const name of readdirSync(path)) {
        const inner = join(path, name);
        if (lstatSync(inner).isFile()) unlinkSync(inner);
      }
      rmdirSync(path); // fails, and keeps the folder, if anything else is in it
    }
  } catch {
    // another run may be sweeping too, or something not ours is inside: leave it
  }
}

const swept = new Set<string>();

/**
 * Removes what killed runs of vectro left in `folder`: only the temporaries their ownership records
 * list, and only for runs on this machine whose process is gone. Each folder once per process.
 */
export function sweepStaleTemps(folder: string): void {
  const dir = resolve(folder);
  if (swept.has(dir)) return;
  swept.add(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = RECORD.exec(name);
    if (!m) continue;
    const run = `${m[1]}-${m[2]}`;
    const pid = Number(m[1]);
    if (processAlive(pid)) continue;
    const record = join(dir, name);
    let text: string;
    try {
      const info = lstatSync(record);
      if (!info.isFile() || info.size > RECORD_MAX_BYTES) continue;
      text = readFileSync(record, 'utf8');
    } catch {
      continue;
    }
    const [first, ...entries] = text.split('\n');
    if (`${first}\n` !== header(run, HOST)) continue; // another machine's run, or not a record of ours
    const ours = new RegExp(`^(file|dir) (\\..+\\.vectro-tmp-${run}-\\d+)$`);
    for (const line of entries) {
      const e = ours.exec(line);
      if (e && !e[2].includes('/')) removeOwned(join(dir, e[2]), e[1] as 'file' | 'dir');
    }
    try {
      unlinkSync(record);
    } catch {
      // another run removed it
    }
  }
}
