/**
 * Turning thrown values into messages for users. Errors the project raises
 * for bad input (DataError, ConfigError, CheckpointError, …) already carry a
 * precise message (file, line, what was expected); anything else is an
 * internal failure and keeps its stack for the log.
 */

const USER_ERRORS = new Set(['DataError', 'ConfigError', 'CheckpointError', 'WeightsMismatchError', 'RangeError', 'ResourceError', 'RunLockedError', 'DivergenceError', 'RunFolderWriteError', 'AblationError', 'SlurmError', 'SlurmOptionError']);

/** A user-facing message and, for unexpected failures, the stack as detail. */
export function describeError(e: unknown): { message: string; detail?: string; expected: boolean } {
  if (e instanceof Error) {
    const expected = USER_ERRORS.has(e.name);
    return { message: e.message, detail: expected ? undefined : e.stack, expected };
  }
  return { message: String(e), expected: false };
}

/**
 * The machine (or the backend's heap) cannot hold what the configuration
 * asks for; the message says which settings to lower.
 */
export class ResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceError';
  }
}

/**
 * Training diverged: the loss or gradient stayed non-finite for
 * `train.maxNonFiniteSteps` steps in a row; the message names the steps, the
 * checkpoint kept and the settings to change.
 */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DivergenceError';
  }
}

/**
 * A file of the run folder could not be written (disk full, quota, read-only
 * or unwritable folder); the message names the file, the reason, what the run
 * folder still holds and what to do.
 */
export class RunFolderWriteError extends Error {
  constructor(
    message: string,
    /** The `fs` error code (ENOSPC, EACCES, …). */
    readonly code: string,
  ) {
    super(message);
    this.name = 'RunFolderWriteError';
  }
}

/** `fs` error codes that mean "this cannot be written", with how to say them. */
const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EFBIG: 'the file is too large for the file system',
  EIO: 'input/output error',
};

/**
 * The reason, in words, when `e` is an `fs` error that means a write cannot
 * succeed (e.g. "no space left on the disk (ENOSPC)"); undefined otherwise.
 */
export function writeFailureReason(e: unknown): { reason: string; code: string; path?: string } | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  const code = err && typeof err === 'object' ? err.code : undefined;
  if (!code || !(code in WRITE_FAILURES)) return undefined;
  return { reason: `${WRITE_FAILURES[code]} (${code})`, code, path: err!.path };
}

/**
 * True for the ways running out of memory surfaces in a backend: the wasm
 * module's `abort()` (a `RuntimeError` "Aborted(…)" once its heap cannot grow;
 * the instance is unusable afterwards), a failed `ArrayBuffer` or
 * `WebAssembly.Memory` allocation, or TensorFlow's "OOM" / "out of memory".
 */
export function isOutOfMemory(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return /^Aborted\(|Array buffer allocation failed|WebAssembly\.Memory|could not (grow|allocate) memory|out of memory|\bOOM\b/i.test(message);
}
