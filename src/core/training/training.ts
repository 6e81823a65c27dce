/**
 * Training's entry point: `train()` takes the run folder's lock, runs a
 * {@link Trainer} (`src/core/training/trainer.ts`: the run's phases as named methods,
 * after Joey NMT's `TrainManager`) and turns a failed write to the run folder
 * into a message that says what the folder still holds.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { initBackend } from '../kernels/backend';
import { CheckpointMeta, findCheckpoint } from '../runs/checkpoint';
import { RunFolderWriteError, writeFailureReason } from '../errors';
import type { DoneEvent } from './events';
import { acquireRunLock } from '../runs/runLock';
import { Trainer, type TrainOptions } from './trainer';

export { largestBatch, type TrainOptions } from './trainer';

/**
 * Train a model as configured, writing the run to `opts.outDir`.
 *
 * Holds the run folder's lock (`train.lock`, see `src/core/runs/runLock.ts`) while
 * it runs, and first repairs what a killed run left (`recoverRunFolder`). On
 * resume, metrics.jsonl is cut back to its length when `last/` was written,
 * so no event is recorded twice and a line torn by a kill is dropped.
 * @returns the final `done` event
 * @throws RunLockedError when another training holds the run folder;
 *   RunFolderWriteError when a file of the run folder cannot be written (disk
 *   full, read-only, no permission: training stops, the checkpoints on disk stay loadable);
 *   DataError / CheckpointError / Error for unusable data, a broken run folder or a failed backend
 */
export async function train(opts: TrainOptions): Promise<DoneEvent> {
  const backend = await initBackend();
  const runDir = path.resolve(opts.outDir);
  let trainer: Trainer | undefined;
  try {
    await fs.mkdir(runDir, { recursive: true });
    const lock = await acquireRunLock(runDir);
    try {
      trainer = await Trainer.open(opts, backend, runDir, lock);
      try {
        return await trainer.run();
      } finally {
        await trainer.dispose();
      }
    } finally {
      await lock.release().catch(() => undefined);
    }
  } catch (e) {
    throw await asWriteFailure(e, runDir, trainer && trainer.step > 0 ? trainer.step : -1);
  }
}

/**
 * A write to the run folder that failed (disk full, read-only, no
 * permission) as a RunFolderWriteError saying which file, why, what the run
 * folder still holds (read back from disk) and what to do; other errors unchanged.
 * @param step the step training stopped at (-1: before training started)
 */
async function asWriteFailure(e: unknown, runDir: string, step: number): Promise<unknown> {
  const failure = writeFailureReason(e);
  if (!failure) return e;
  const file = failure.path ?? runDir;
  const kept: string[] = [];
  for (const kind of ['last', 'best'] as const) {
    const dir = await findCheckpoint(runDir, kind).catch(() => undefined);
    if (!dir) continue;
    const meta = await fs.readFile(path.join(dir, 'weights.json'), 'utf8').then((t) => JSON.parse(t).meta as CheckpointMeta, () => undefined);
    if (meta) kept.push(`${kind}/ from step ${meta.step}`);
  }
  const where = step >= 0 ? `Training stopped at step ${step}: cannot write ${file}` : `Cannot write ${file}`;
  const holds = kept.length
    ? `The run folder keeps ${kept.join(' and ')}, which load as they are; once the cause is fixed, continue with "train --resume" (or Resume in VS Code).`
    : 'No checkpoint had been saved yet.';
  const fix = failure.code === 'ENOSPC' || failure.code === 'EDQUOT' ? 'Free some disk space' : 'Make the run folder writable, or train into another folder (--out)';
  return new RunFolderWriteError(`${where}: ${failure.reason}. ${holds} ${fix}.`, failure.code);
}
