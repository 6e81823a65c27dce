/**
 * Reads a run folder for the Compare Runs view (src/protocol/compareRuns.ts):
 * its run.json (name, config, architecture summary) and the events of its
 * metrics.jsonl the view charts. A folder that is gone, is not a run, or
 * whose files cannot be read still gives a `CompareRun`, with `problem`
 * saying what is wrong, so the view can say so. No `vscode` import.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { TrainingEvent } from '../../core/training/events';
import type { CompareEvent, CompareRun } from '../../protocol/compareRuns';
import { configSummary, parseMetricsJsonl, readRunEntry } from './modelsList';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures (the extractor needs this import).
import * as l10n from '@vscode/l10n';

/** The events the view uses, validation samples dropped (they can be most of the file and are not shown). */
export function compareEvents(events: readonly TrainingEvent[]): CompareEvent[] {
  const out: CompareEvent[] = [];
  for (const e of events) {
    if (e.type === 'validation') out.push({ ...e, samples: [] });
    else if (e.type === 'progress' || e.type === 'started' || e.type === 'done') out.push(e);
  }
  return out;
}

/**
 * One run of the comparison, read from `runDir` (absolute).
 * @param running whether a worker of this window is training it (or its Slurm job runs)
 * @param job the run's Slurm job and state, for a run submitted to Slurm
 */
export async function readCompareRun(runDir: string, running = false, job?: CompareRun['job']): Promise<CompareRun> {
  const folder = path.basename(runDir);
  const base: CompareRun = { runDir, name: folder, folder, events: [], running };
  const stat = await fs.stat(runDir).catch(() => undefined);
  if (!stat?.isDirectory()) return { ...base, running: false, problem: l10n.t('The run folder {0} no longer exists.', runDir) };
  const entry = await readRunEntry(runDir).catch((e: Error) => e);
  if (entry instanceof Error) return { ...base, problem: `${runDir}: ${entry.message}` };
  if (!entry) return { ...base, problem: l10n.t('{0} is not a run folder: it has no run.json.', runDir) };
  const run: CompareRun = { ...base, name: entry.name, ...(entry.config ? { config: entry.config, model: configSummary(entry.config) } : {}), ...(job ? { job } : {}) };
  const problems: string[] = entry.problem ? [entry.problem] : [];
  const metrics = path.join(runDir, 'metrics.jsonl');
  let text: string | undefined;
  try {
    text = await fs.readFile(metrics, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A Slurm run waiting in the queue has no metrics yet: its job badge says so.
    if (!(code === 'ENOENT' && job)) problems.push(code === 'ENOENT' ? l10n.t('{0} has no metrics.jsonl yet.', runDir) : l10n.t('Cannot read {0}: {1}', metrics, (e as Error).message));
  }
  if (text !== undefined) {
    const { events, badLines } = parseMetricsJsonl(text);
    run.events = compareEvents(events);
    // The last line of a file being written can be cut: say so only for lines before it.
    const lines = text.split(/\r?\n/).length;
    const bad = running ? badLines.filter((n) => n < lines - 1) : badLines;
    if (bad.length) {
      const list = bad.slice(0, 10).join(', ') + (bad.length > 10 ? ', …' : '');
      problems.push(l10n.t('{0}: skipped unreadable lines {1}', metrics, list));
    }
  }
  if (problems.length) run.problem = problems.join(' ');
  return run;
}
