/**
 * Runs that stopped without finishing: the worker was killed mid-run (a
 * window reload ends the extension host and its worker threads, a crash, an
 * out-of-memory kill, a killed CLI). Such a run folder has a `last/`
 * checkpoint, a metrics.jsonl whose last event is not `done`, and no live
 * holder of its `train.lock` (a training still running there, e.g. the CLI,
 * holds it: that run is not interrupted). Cheap: reads the tail of
 * metrics.jsonl, the lock file and last/weights.json, never weights.
 * No `vscode` import.
 */
import * as path from 'path';
import { runLockIsHeld } from '../../core/runs/runLock';
import type { ResumeInfo } from '../../protocol/trainingPanel';

export { lastCheckpointStep, METRICS_TAIL_BYTES, readTailEvents, unfinishedAt } from '../../core/runs/metricsTail';
import { lastCheckpointStep, readTailEvents, unfinishedAt } from '../../core/runs/metricsTail';

/**
 * Whether the run in `runDir` was interrupted (see module doc) and where:
 * the last step it recorded and the step of the `last/` checkpoint a resume
 * continues from. Undefined for a finished run, a run without a checkpoint,
 * and a run a live training holds. Never throws.
 */
export async function readInterruption(runDir: string): Promise<ResumeInfo | undefined> {
  const checkpointStep = await lastCheckpointStep(runDir);
  if (checkpointStep === undefined) return undefined;
  const events = await readTailEvents(path.join(runDir, 'metrics.jsonl')).catch(() => undefined);
  const at = events && unfinishedAt(events);
  if (!at) return undefined;
  if (await runLockIsHeld(runDir)) return undefined;
  return { step: Math.max(at.step, checkpointStep), checkpointStep };
}

/**
 * The most recent interrupted run of `runs` (newest first, as listed), skipping
 * `exclude` (the run this window is training). Reads at most `limit` runs.
 */
export async function findInterruptedRun<R extends { runDir: string }>(
  runs: readonly R[],
  opts: { exclude?: string; limit?: number } = {},
): Promise<{ run: R; info: ResumeInfo } | undefined> {
  const exclude = opts.exclude ? path.resolve(opts.exclude) : undefined;
  for (const run of runs.slice(0, opts.limit ?? 20)) {
    if (exclude && path.resolve(run.runDir) === exclude) continue;
    const info = await readInterruption(run.runDir);
    if (info) return { run, info };
  }
  return undefined;
}
