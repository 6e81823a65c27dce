/**
 * The files that record Slurm jobs in the job folder and in each run folder,
 * so that any later command or window finds them again, and the state of a
 * run derived from them (the run folder first, Slurm's queue second).
 *
 * - `<job folder>/slurm-job.json` ({@link SlurmJobRecord}): the submission —
 *   job id, options, the run folders in task order (task i trains
 *   `runDirs[i]`). Written by the submitter, read by every task.
 * - `<run folder>/slurm.json` ({@link SlurmRunRecord}): what the task trains
 *   (the config), its job id (`123` or `123_4`) and log files. Written by the
 *   submitter (and by `jobs cancel`), atomically.
 * - `<run folder>/slurm-task.jsonl` ({@link TaskEvent}): appended by the task
 *   on the compute node: it started (the handshake that proves the node sees
 *   the folder), it requeued itself at the time limit, how it ended.
 *
 * The job folder is the ablation folder for an ablation's array, the run
 * folder itself for one run. No `vscode` import.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Seq2SeqConfig } from '../config/config';
import type { TrainingEvent } from '../training/events';
import { lastStep } from '../runs/metricsTail';
import type { SlurmOptions } from './slurmScript';
import { isActive, type QueueEntry, type RunState } from './slurmOutput';

/** In the job folder: the submission. */
export const JOB_FILE = 'slurm-job.json';
/** In the job folder: the batch script submitted. */
export const SCRIPT_FILE = 'job.sbatch';
/** In each run folder: the run's job record. */
export const RUN_RECORD_FILE = 'slurm.json';
/** In each run folder: what the task reports (JSON lines, appended). */
export const TASK_EVENTS_FILE = 'slurm-task.jsonl';

/** `<job folder>/slurm-job.json`. */
export interface SlurmJobRecord {
  version: 1;
  /** `123`; absent in a record written before sbatch answered (the submission failed). */
  jobId?: string;
  /** Set on a multi-cluster installation (`sbatch --parsable` printed `123;cluster`). */
  cluster?: string;
  /** ISO time sbatch accepted the job. */
  submitted?: string;
  name: string;
  /** Runs of the job: one for a plain job, the variants of an array, in task order (absolute). */
  runDirs: string[];
  /** The options it was submitted with (validated). */
  options: SlurmOptions;
  /** Log patterns relative to the job folder (`%A_%a.out`, `slurm-%j.out`). */
  logs: { out: string; err: string };
}

/** How a task evaluates its run on the held-out test pairs after training (ablations). */
export interface TaskEvaluation {
  beam: number;
  batchSize: number;
}

/** `<run folder>/slurm.json`. */
export interface SlurmRunRecord {
  version: 1;
  /** The job folder (holds slurm-job.json and the logs), absolute. */
  jobFolder: string;
  /** Index of the run in the job (its array task id). */
  index: number;
  /** Tasks in the job (1: a plain job). */
  tasks: number;
  /** `123` (plain job) or `123_4` (array task); absent until sbatch answered. */
  jobId?: string;
  submitted?: string;
  /** Absolute paths of the task's stdout / stderr logs (known once the job id is). */
  logs?: { out: string; err: string };
  /** What the task trains (resolved config, absolute data paths). */
  config: Seq2SeqConfig;
  configPath?: string;
  /** Variant label of an ablation (`model.attention=none`). */
  label?: string;
  /** Set for an ablation's variants: evaluate best/ on test.tsv after training. */
  evaluate?: TaskEvaluation;
  /** Continue from `last/` from the first attempt on (a resubmitted run); a requeued attempt always does. */
  resume?: boolean;
  /** ISO time `jobs cancel` (or VS Code's Cancel) asked Slurm to cancel the run. */
  cancelRequested?: string;
}

/** What a task's variant produced, recorded in its `end` event (as an ablation summary wants it). */
export interface TaskOutcome {
  reason: string;
  steps: number;
  elapsedSeconds: number;
  tokensPerSecond: number;
  valid: { bleu: number; perplexity: number };
  test?: { bleu: number; perplexity: number; sentences: number; beam: number; byLength?: unknown[] };
  testError?: string;
}

/** One line of `slurm-task.jsonl`. `job` is `123` or `123_4` (the array task), as in slurm.json. */
export type TaskEvent =
  | { event: 'start'; time: string; job: string; restart: number; node: string; pid: number }
  | { event: 'requeue'; time: string; job: string; step: number }
  | { event: 'end'; time: string; job: string; how: 'done' | 'failed' | 'cancelled'; step: number; message?: string; outcome?: TaskOutcome };

/** Write JSON to `file` through a temporary file and a rename (readers never see half a file). */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  await fs.rename(tmp, file);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** The job folder's record; undefined when it has none. @throws Error naming the file when it is unreadable */
export function readJobRecord(jobFolder: string): Promise<SlurmJobRecord | undefined> {
  return readJson<SlurmJobRecord>(path.join(jobFolder, JOB_FILE));
}

/** A run folder's Slurm record; undefined for a run that was never submitted to Slurm. @throws Error naming the file when it is unreadable */
export function readRunRecord(runDir: string): Promise<SlurmRunRecord | undefined> {
  return readJson<SlurmRunRecord>(path.join(runDir, RUN_RECORD_FILE));
}

/** Append one event to the run folder's `slurm-task.jsonl`. */
export async function appendTaskEvent(runDir: string, e: TaskEvent): Promise<void> {
  await fs.appendFile(path.join(runDir, TASK_EVENTS_FILE), JSON.stringify(e) + '\n');
}

/** The run folder's task events (unreadable lines skipped; none when the file is missing). */
export async function readTaskEvents(runDir: string): Promise<TaskEvent[]> {
  const text = await fs.readFile(path.join(runDir, TASK_EVENTS_FILE), 'utf8').catch(() => '');
  const out: TaskEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as TaskEvent;
      if (e && typeof e.event === 'string' && typeof e.job === 'string') out.push(e);
    } catch {
      /* a line torn by a killed node */
    }
  }
  return out;
}

/** Why a run is in its state, for the CLI and VS Code to put in words (src/shared/slurmText.ts). */
export type StatusNote =
  /** Waiting in the queue; Slurm's reason (Priority, Resources, JobArrayTaskLimit, BeginTime, …). */
  | { kind: 'waiting'; reason: string }
  /** Requeued by the task itself at its time limit, after `step`; `count` times so far. */
  | { kind: 'requeued'; step: number; count: number }
  /** Running for `seconds` without a word from the task in the run folder (a folder the node cannot see?). */
  | { kind: 'no-word-yet'; seconds: number; node?: string }
  /**
   * The job ended (`slurmState`) without the task ever writing to the run
   * folder; `logWritten` false: Slurm could not write the job's log next to
   * it either (the node does not see the folder).
   */
  | { kind: 'never-started'; slurmState: string; node?: string; exitCode?: number; logWritten?: boolean }
  /** The task reported a failure. */
  | { kind: 'task-error'; message: string }
  /** The task started but the job ended (`slurmState`) without the task saying how (killed, node lost). */
  | { kind: 'died'; slurmState: string; exitCode?: number }
  /** Slurm no longer knows the job and the run folder does not say how it ended. */
  | { kind: 'vanished' }
  /** A training on this machine holds the run folder (e.g. `train --resume` after a cancel). */
  | { kind: 'local'; pid: number }
  /** Slurm did not answer (the state is the run folder's alone). */
  | { kind: 'unreachable'; message: string }
  /** A local run that stopped without finishing (killed) at `step`; `last/` is at `checkpointStep`. */
  | { kind: 'interrupted'; step: number; checkpointStep?: number };

/** The state of one run, as `seq2seq jobs status --json` prints it. */
export interface RunStatus {
  /** The run folder (absolute). */
  run: string;
  executor: 'local' | 'slurm';
  state: RunState;
  /** `123` or `123_4` (Slurm runs). */
  jobId: string | null;
  /** Last step the run folder records (0: none yet). */
  step: number;
  /** Slurm's own state when Slurm was asked (PENDING, RUNNING, …). */
  slurmState?: string;
  note?: StatusNote;
  /** Node(s) the job runs or ran on. */
  node?: string;
  /** Requeues so far (the task's own at time limits, and Slurm's after a node failure). */
  restarts?: number;
  /** The task's log files. */
  logs?: { out: string; err: string };
  /** The last lines of the error log of a failed task. */
  errTail?: string;
  /** Variant label (ablations). */
  label?: string;
  /** What the task's variant produced (from its `end` event). */
  outcome?: TaskOutcome;
}

/** Everything the state of a Slurm run is derived from (see {@link deriveSlurmStatus}). */
export interface SlurmRunFacts {
  runDir: string;
  record: SlurmRunRecord;
  /** The run folder's task events (all jobs; those of older submissions are ignored). */
  taskEvents: readonly TaskEvent[];
  /** The last events of metrics.jsonl. */
  metricsTail: readonly TrainingEvent[];
  /** Slurm's entry for the job (squeue, else sacct); undefined when Slurm does not know it (any more). */
  queue?: QueueEntry & { restarts?: number; exitCode?: number };
  /** Why Slurm could not be asked (squeue failed): the state is then the run folder's alone. */
  queueError?: string;
  /** A live training on this machine holds the run folder's lock (pid), not as a Slurm task. */
  localHolder?: number;
}

/**
 * A Slurm run's state: the run folder first (the task's `end`, `requeue` and
 * `start` events of the current job), Slurm's queue second; a run that
 * finished training whoever ran it (e.g. a local `train --resume`) is done.
 * Pure: every fact is passed in.
 */
export function deriveSlurmStatus(f: SlurmRunFacts): RunStatus {
  const job = f.record.jobId ?? null;
  const events = job ? f.taskEvents.filter((e) => e.job === job) : [];
  const last = events[events.length - 1];
  const q = f.queue;
  const requeues = events.filter((e) => e.event === 'requeue');
  const starts = events.filter((e) => e.event === 'start');
  const step = Math.max(lastStep(f.metricsTail), ...events.map((e) => ('step' in e ? e.step : 0)));
  const base: RunStatus = {
    run: f.runDir,
    executor: 'slurm',
    state: 'queued',
    jobId: job,
    step,
    ...(q ? { slurmState: q.slurmState } : {}),
    ...(q?.nodes ? { node: q.nodes } : starts.length ? { node: (starts[starts.length - 1] as { node: string }).node } : {}),
    restarts: Math.max(q?.restarts ?? 0, starts.length ? (starts[starts.length - 1] as { restart: number }).restart : 0),
    ...(f.record.logs ? { logs: f.record.logs } : {}),
    ...(f.record.label ? { label: f.record.label } : {}),
  };
  const finishedTraining = (() => {
    const done = [...f.metricsTail].reverse().find((e) => e.type === 'done');
    return f.metricsTail.length > 0 && f.metricsTail[f.metricsTail.length - 1]!.type === 'done' && done && done.type === 'done' && done.reason !== 'cancelled';
  })();
  const queueSays = (fallback: RunState): RunState => q?.state ?? fallback;

  if (f.localHolder !== undefined) return { ...base, state: 'running', note: { kind: 'local', pid: f.localHolder } };

  if (last?.event === 'end') {
    const outcome = last.outcome ? { outcome: last.outcome } : {};
    if (last.how === 'done') return { ...base, state: 'done', ...outcome };
    if (last.how === 'failed') return { ...base, state: 'failed', note: { kind: 'task-error', message: last.message ?? 'the task failed' }, ...outcome };
    // Cancelled (SIGTERM): Slurm may have requeued it (preemption, node failure).
    if (q && isActive(q.state ?? 'cancelled')) return { ...base, state: q.state!, ...(q.reason ? { note: { kind: 'waiting', reason: q.reason } } : {}) };
    return { ...base, state: finishedTraining ? 'done' : 'cancelled' };
  }
  if (finishedTraining && (!q || !isActive(q.state ?? 'failed'))) return { ...base, state: 'done' };
  if (f.queueError !== undefined) {
    const state: RunState = last?.event === 'start' ? 'running' : 'queued';
    return { ...base, state, note: { kind: 'unreachable', message: f.queueError } };
  }
  if (last?.event === 'requeue') {
    const note: StatusNote = { kind: 'requeued', step: last.step, count: requeues.length };
    if (q && isActive(q.state ?? 'failed')) return { ...base, state: q.state!, note };
    if (q?.state === 'cancelled' || f.record.cancelRequested) return { ...base, state: 'cancelled', note };
    return { ...base, state: q?.state === 'timed out' ? 'timed out' : 'failed', note: q ? { kind: 'died', slurmState: q.slurmState, ...exit(q) } : { kind: 'vanished' } };
  }
  if (last?.event === 'start') {
    if (q && isActive(q.state ?? 'failed')) {
      const note: StatusNote | undefined = q.state === 'queued' && q.reason ? { kind: 'waiting', reason: q.reason } : requeues.length ? { kind: 'requeued', step: (requeues[requeues.length - 1] as { step: number }).step, count: requeues.length } : undefined;
      return { ...base, state: q.state!, ...(note ? { note } : {}) };
    }
    if (q?.state === 'cancelled' || (!q && f.record.cancelRequested)) return { ...base, state: 'cancelled' };
    if (q?.state === 'timed out') return { ...base, state: 'timed out', note: { kind: 'died', slurmState: q.slurmState, ...exit(q) } };
    if (q) return { ...base, state: 'failed', note: { kind: 'died', slurmState: q.slurmState, ...exit(q) } };
    return { ...base, state: 'failed', note: { kind: 'vanished' } };
  }
  // No word from the task of this job (yet).
  if (!job) return { ...base, state: 'failed', note: { kind: 'task-error', message: 'the job was never submitted (sbatch did not answer)' } };
  if (q?.state === 'queued') return { ...base, state: 'queued', ...(q.reason ? { note: { kind: 'waiting', reason: q.reason } } : {}) };
  if (q?.state === 'running') {
    const seconds = q.elapsed ? elapsedSeconds(q.elapsed) : 0;
    return { ...base, state: 'running', ...(seconds >= NO_WORD_SECONDS ? { note: { kind: 'no-word-yet', seconds, ...(q.nodes ? { node: q.nodes } : {}) } } : {}) };
  }
  if (q?.state === 'cancelled' || f.record.cancelRequested) return { ...base, state: 'cancelled' };
  if (q) return { ...base, state: 'failed', note: { kind: 'never-started', slurmState: q.slurmState, ...(q.nodes ? { node: q.nodes } : {}), ...exit(q) } };
  return { ...base, state: queueSays('failed'), note: { kind: 'vanished' } };
}

/** Seconds a task may run before the lab says it has not written to its run folder yet. */
export const NO_WORD_SECONDS = 60;

function exit(q: { exitCode?: number }): { exitCode?: number } {
  return q.exitCode !== undefined ? { exitCode: q.exitCode } : {};
}

/** Seconds of squeue's `%M` (`[days-][hours:]minutes:seconds`); 0 when unreadable. */
export function elapsedSeconds(elapsed: string): number {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(elapsed.trim());
  if (!m) return 0;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}
