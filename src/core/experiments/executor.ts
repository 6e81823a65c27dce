/**
 * Where a run executes: one seam with two sides, after submitit's
 * `Executor` (submit, state, cancel). An executor turns "train this config
 * into this run folder" — one run, or an ablation's variants — into work:
 *
 * - {@link LocalExecutor}: in this process, one run after another (what
 *   `seq2seq train` and `seq2seq ablate` always did);
 * - `SlurmExecutor` (./slurmExecutor.ts): one Slurm job, or one job array
 *   with a task per run.
 *
 * The trainer and the ablation plan do not know which ran them, and the run
 * folder stays the one source of truth for how a run went: both executors
 * read a run's state from it first. {@link statusOf} picks the right one for
 * any run folder (a `slurm.json` marks a Slurm run). No `vscode` import.
 */
import * as os from 'os';
import * as path from 'path';
import type { Seq2SeqConfig } from '../config/config';
import { lastCheckpointStep, lastStep, readTailEvents, unfinishedAt } from '../runs/metricsTail';
import { readRunLock } from '../runs/runLock';
import type { DoneEvent, TrainingListener } from '../training/events';
import { readRunRecord, type RunStatus, type TaskEvaluation } from './slurmJobs';

/** Which executor: this machine or Slurm. */
export type ExecutorKind = 'local' | 'slurm';

/** One run to execute: train `config` into `runDir`. */
export interface RunSpec {
  /** Run folder (absolute; created when missing). */
  runDir: string;
  /** Resolved config (absolute data paths, defaults filled in). */
  config: Seq2SeqConfig;
  /** Config file it came from (recorded in run.json). */
  configPath?: string;
  /** Continue from `<runDir>/last/` when it exists. */
  resume?: boolean;
  /** Variant label of an ablation (`model.attention=none`). */
  label?: string;
  /** Evaluate best/ on the run's test.tsv after training (an ablation's variants). */
  evaluate?: TaskEvaluation;
}

/** What an executor executes: one run, or an ablation's variants (in order). */
export interface ExecutorJob {
  /** Name of the job (the run or ablation name). */
  name: string;
  /**
   * The job's own folder: the run folder of one run, the ablation folder of
   * several (Slurm: the batch script, slurm-job.json and the logs go there).
   */
  folder: string;
  runs: RunSpec[];
  /** One line saying what submitted it (the batch script's comment). */
  description?: string;
}

/** What `submit` did. */
export interface SubmittedJob {
  executor: ExecutorKind;
  /** Slurm: the job id (`123`, the array job id for several runs). */
  jobId?: string;
  /** Slurm: the cluster of a multi-cluster installation. */
  cluster?: string;
  runs: {
    runDir: string;
    /** Slurm: `123` or `123_4`. */
    jobId?: string;
    /** Slurm: the task's log files (absolute). */
    logs?: { out: string; err: string };
    /** Local: how the run ended (its `done` event), or why it failed. */
    done?: DoneEvent;
    error?: unknown;
  }[];
  /** Things the user should know (e.g. the folder may not be on a shared file system). */
  warnings: string[];
}

/** What `cancel` did for one run. */
export interface CancelResult {
  run: string;
  jobId: string | null;
  /** True when a stop or cancel was sent. */
  sent: boolean;
  /** Why nothing was sent (the run had ended, it trains in VS Code, …). */
  why?: string;
}

/** submit / state / cancel, whoever runs the work. */
export interface Executor {
  readonly kind: ExecutorKind;
  /**
   * Execute `job`. Local: trains its runs here, one after another, and
   * resolves when they ended. Slurm: resolves once Slurm accepted the job.
   */
  submit(job: ExecutorJob): Promise<SubmittedJob>;
  /** The state of each run folder, read from the folder first (see {@link RunStatus}). */
  state(runDirs: readonly string[]): Promise<RunStatus[]>;
  /** Stop or cancel the runs that are still queued or running. */
  cancel(runDirs: readonly string[]): Promise<CancelResult[]>;
}

/** How the local executor trains (the CLI passes its printer and its Ctrl+C flag). */
export interface LocalHooks {
  /** Receives each run's events. */
  listener?: (run: RunSpec) => TrainingListener | undefined;
  /** Polled between steps: true stops the current run after its step (last/ written) and skips the rest. */
  shouldStop?: () => boolean;
  /** Called before each run starts. */
  onRun?: (run: RunSpec, index: number, count: number) => void;
}

/** This machine: training in this process, one run after another (`src/core/training/training.ts`). */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;

  constructor(private readonly hooks: LocalHooks = {}) {}

  /**
   * Train the runs one after another in this process. A failed run is
   * recorded (`error`) and the next one trains; a stop request ends the
   * current run after its step and skips the rest.
   */
  async submit(job: ExecutorJob): Promise<SubmittedJob> {
    const { train } = await import('../training/training');
    const runs: SubmittedJob['runs'] = [];
    for (const [i, run] of job.runs.entries()) {
      if (i > 0 && this.hooks.shouldStop?.()) break;
      this.hooks.onRun?.(run, i, job.runs.length);
      try {
        const done = await train({
          config: run.config,
          configPath: run.configPath,
          outDir: run.runDir,
          resume: run.resume ?? false,
          listener: this.hooks.listener?.(run),
          shouldStop: this.hooks.shouldStop,
        });
        runs.push({ runDir: run.runDir, done });
      } catch (error) {
        runs.push({ runDir: run.runDir, error });
      }
    }
    return { executor: 'local', runs, warnings: [] };
  }

  /**
   * A local run's state from its folder: `done` recorded → done (cancelled
   * when stopped by the user); a live training holds its lock → running;
   * it stopped without `done` (killed) → failed, resumable from `last/`.
   */
  async state(runDirs: readonly string[]): Promise<RunStatus[]> {
    return Promise.all(runDirs.map((d) => localStatus(path.resolve(d))));
  }

  /**
   * Stop local runs: a `seq2seq train` / `ablate` process of this machine
   * that holds the run folder gets SIGINT (it stops after its step and writes
   * `last/`, as Ctrl+C does). A run training in VS Code (a worker thread of
   * the extension host) is stopped there, with Stop Training.
   */
  async cancel(runDirs: readonly string[]): Promise<CancelResult[]> {
    const out: CancelResult[] = [];
    for (const d of runDirs) {
      const run = path.resolve(d);
      const lock = await readRunLock(run);
      if (!lock?.live) out.push({ run, jobId: null, sent: false, why: 'it is not training' });
      else if (lock.holder.host !== os.hostname()) out.push({ run, jobId: null, sent: false, why: `it trains on host "${lock.holder.host}"` });
      else if (lock.holder.threadId !== 0) out.push({ run, jobId: null, sent: false, why: `it trains in VS Code (pid ${lock.holder.pid}): use Stop Training there` });
      else {
        try {
          process.kill(lock.holder.pid, 'SIGINT');
          out.push({ run, jobId: null, sent: true });
        } catch (e) {
          out.push({ run, jobId: null, sent: false, why: (e as Error).message });
        }
      }
    }
    return out;
  }
}

/** {@link LocalExecutor.state} of one run folder. */
async function localStatus(run: string): Promise<RunStatus> {
  const events = await readTailEvents(path.join(run, 'metrics.jsonl')).catch(() => []);
  const base = { run, executor: 'local' as const, jobId: null, step: lastStep(events) };
  const last = events[events.length - 1];
  if (last?.type === 'done') return { ...base, state: last.reason === 'cancelled' ? 'cancelled' : 'done' };
  const lock = await readRunLock(run);
  if (lock?.live) return { ...base, state: 'running', ...(lock.holder.host === os.hostname() ? { note: { kind: 'local', pid: lock.holder.pid } } : {}) };
  const at = unfinishedAt(events);
  const checkpointStep = await lastCheckpointStep(run);
  return { ...base, state: 'failed', note: { kind: 'interrupted', step: at?.step ?? 0, ...(checkpointStep !== undefined ? { checkpointStep } : {}) } };
}

/**
 * The state of run folders, whoever runs them: Slurm runs (a `slurm.json`)
 * through `slurm`, the others through the local executor; in the order given.
 */
export async function statusOf(runDirs: readonly string[], slurm: Pick<Executor, 'state'>): Promise<RunStatus[]> {
  const dirs = runDirs.map((d) => path.resolve(d));
  const isSlurm = await Promise.all(dirs.map((d) => readRunRecord(d).then((r) => r !== undefined, () => true)));
  const [s, l] = await Promise.all([slurm.state(dirs.filter((_, i) => isSlurm[i])), new LocalExecutor().state(dirs.filter((_, i) => !isSlurm[i]))]);
  let si = 0;
  let li = 0;
  return dirs.map((_, i) => (isSlurm[i] ? s[si++]! : l[li++]!));
}
