/**
 * Turning thrown values into messages for users. Errors the project raises
 * for bad input (DataError, ConfigError, CheckpointError, …) already carry a
 * precise message (file, line, what was expected); anything else is an
 * internal failure and keeps its stack for the log.
 */

const USER_ERRORS = new Set(['DataError', 'ConfigError', 'CheckpointError', 'WeightsMismatchError', 'RangeError']);

/** A user-facing message and, for unexpected failures, the stack as detail. */
export function describeError(e: unknown): { message: string; detail?: string; expected: boolean } {
  if (e instanceof Error) {
    const expected = USER_ERRORS.has(e.name);
    return { message: e.message, detail: expected ? undefined : e.stack, expected };
  }
  return { message: String(e), expected: false };
}
