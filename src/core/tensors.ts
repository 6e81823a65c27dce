/**
 * Typed wrappers around `tf.tidy` / `tf.dispose` for the structured values
 * this project passes around (decoder states, encoded sources), whose
 * optional fields TypeScript does not accept as `tf.TensorContainer`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** `tf.tidy` keeping the callback's own return type: tensors it returns survive, all others are disposed. */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/** Dispose every tensor reachable in a nested object / array (`undefined` entries are ignored). */
export function disposeAll(...values: unknown[]): void {
  tf.dispose(values as unknown as tf.TensorContainer);
}
