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
import { promises as fs } from 'fs';
import * as path from 'path';
import type { TrainingEvent } from '../../core/training/events';
import { runLockIsHeld } from '../../core/runs/runLock';
import type { ResumeInfo } from '../../protocol/trainingPanel';

/** Bytes read from the end of metrics.jsonl to find its last events. */
export const METRICS_TAIL_BYTES = 64 * 1024;

/**
 * Where the recorded events of a run stop, when they stop without a final
 * `done`: the last step reached (the last progress, validation or
 * checkpoint step). Undefined when the run finished (last event `done`) or
 * recorded nothing.
 */
export function unfinishedAt(events: readonly TrainingEvent[]): { step: number } | undefined {
  if (events.length === 0 || events[events.length - 1].type === 'done') return undefined;
  let step = 0;
  for (const e of events) {
    if (e.type === 'started') step = Math.max(step, e.startStep);
    else if (e.type === 'progress' || e.type === 'validation' || e.type === 'checkpoint') step = Math.max(step, e.step);
  }
  return { step };
}

/** The complete JSON lines of the last `maxBytes` of a file (a line torn by a kill, or cut by the window, is skipped). */
export async function readTailEvents(file: string, maxBytes = METRICS_TAIL_BYTES): Promise<TrainingEvent[]> {
  const fh = await fs.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    if (start > 0) lines.shift();
    const events: TrainingEvent[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as TrainingEvent;
        if (e && typeof e.type === 'string') events.push(e);
      } catch {
        /* torn line */
      }
    }
    return events;
  } finally {
    await fh.close();
  }
}

/** Step of a run's `last/` checkpoint (its weights.json meta); undefined when there is none. */
export async function lastCheckpointStep(runDir: string): Promise<number | undefined> {
  try {
    const w = JSON.parse(await fs.readFile(path.join(runDir, 'last', 'weights.json'), 'utf8')) as { meta?: { step?: unknown } };
    return typeof w?.meta?.step === 'number' ? w.meta.step : undefined;
  } catch {
    return undefined;
  }
}

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
