/**
 * Errors vectro reports to users. The CLI prints `error: <message>` and exits with `exitCode`:
 * 2 for a bad command line (flags, paths, formats), 1 for bad data or a failed read/write,
 * 130 when interrupted.
 */
export class VectroError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A command-line mistake: an unknown flag value, a missing or unusable path. */
export class UsageError extends VectroError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The data is not what it should be, or reading/writing it failed. */
export class DataError extends VectroError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** The user pressed Ctrl-C, or the process got SIGTERM or SIGHUP: exit 128 + the signal number. */
export class InterruptedError extends VectroError {
  constructor(exitCode = 130) {
    super('interrupted', exitCode);
  }
}

/** The text of a Node system error without its `ENOENT: ` prefix noise repeated. */
export function describeSystemError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    const reasons: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ENOTDIR: 'a parent is not a directory',
      ENOSPC: 'no space left on device',
      EROFS: 'read-only file system',
    };
    return reasons[e.code] ?? `${e.code}: ${e.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * `text` made safe for a one-line message: control characters (newlines, NULs, escape codes) shown
 * as `\xNN`, and anything past `max` characters cut with an ellipsis. Bytes read from a file go
 * through this before they reach a terminal.
 */
export function printable(text: string, max = Infinity): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const escaped = text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/**
 * A contender (a peer such as FAISS, or one of vectro's backends) answered something that cannot be
 * right: ids of the wrong length, out of range or repeated, distances out of order, a timing that is
 * not a number. Its results are refused, never reported.
 */
export class AnswerError extends DataError {}
