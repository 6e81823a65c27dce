/**
 * Where a run stopped, read cheaply: the last events of its `metrics.jsonl`
 * (from the end of the file) and the step of its `last/` checkpoint. Used by the Models view
 * (interrupted runs) and by the executors' run states. No `vscode` import.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { TrainingEvent } from '../training/events';

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
  return { step: lastStep(events) };
}

/** The last step the events reach (started, progress, validation, checkpoint or done); 0 when none. */
export function lastStep(events: readonly TrainingEvent[]): number {
  let step = 0;
  for (const e of events) {
    if (e.type === 'started') step = Math.max(step, e.startStep);
    else if (e.type === 'progress' || e.type === 'validation' || e.type === 'checkpoint' || e.type === 'done') step = Math.max(step, e.step);
  }
  return step;
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
