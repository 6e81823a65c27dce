/**
 * The Slurm side of the executor seam (./executor.ts): a run becomes one
 * `sbatch` job, an ablation's variants one job array with a task per
 * variant. Slurm does the scheduling; the lab only submits (`sbatch
 * --parsable`), asks (`squeue` with its own `-o` format, `sacct` and
 * `scontrol show job` for jobs that ended) and cancels (`scancel`).
 *
 * Submitting writes the plan first (each run folder's `slurm.json` with the
 * config to train, the job folder's `slurm-job.json` and `job.sbatch`), then
 * runs sbatch, then records the job id in those files; a refused submission
 * takes back what it wrote and reports Slurm's own message. The queue is
 * asked at most once per `minPollMs` (the `squeue` manual asks tools not to
 * poll in tight loops); Slurm commands run without the user's
 * `SQUEUE_FORMAT` and other output-changing variables ({@link slurmEnv}).
 * No `vscode` import.
 */
import { execFile } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readRunLock } from '../runs/runLock';
import { readTailEvents } from '../runs/metricsTail';
import type { CancelResult, Executor, ExecutorJob, SubmittedJob } from './executor';
import {
  deriveSlurmStatus,
  JOB_FILE,
  readRunRecord,
  readTaskEvents,
  RUN_RECORD_FILE,
  SCRIPT_FILE,
  writeJsonAtomic,
  type RunStatus,
  type SlurmJobRecord,
  type SlurmRunRecord,
} from './slurmJobs';
import {
  expandHostList,
  parseSacct,
  parseSbatchParsable,
  parseScontrolShowJob,
  parseSqueue,
  SACCT_FORMAT,
  sbatchRefusal,
  SQUEUE_FORMAT,
  type QueueEntry,
} from './slurmOutput';
import { buildBatchScript, logFiles, logPatterns, validateSlurmOptions, type SlurmOptions } from './slurmScript';

/** A Slurm command failed, is missing, or refused the job; the message says which and what Slurm said. */
export class SlurmError extends Error {
  constructor(
    message: string,
    /** `missing`: the command is not on the PATH; `refused`: sbatch refused the job; `failed`: another failure. */
    readonly kind: 'missing' | 'refused' | 'failed',
  ) {
    super(message);
    this.name = 'SlurmError';
  }
}

/** What a command printed and how it ended; `missing` when it is not on the PATH. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  missing?: boolean;
}

/** Runs a command without a shell (arguments are never parsed by one). */
export type RunCommand = (cmd: string, args: readonly string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }) => Promise<CommandResult>;

/** {@link RunCommand} with `child_process.execFile`. */
export const runCommand: RunCommand = (cmd, args, opts) =>
  new Promise((resolve) => {
    execFile(cmd, [...args], { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown; killed?: boolean }) | null;
      if (e && e.code === 'ENOENT' && (e as { path?: string }).path === cmd) return resolve({ code: null, stdout: '', stderr: '', missing: true });
      const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (e && !stderr ? (e.killed ? `${cmd} timed out after ${opts.timeoutMs / 1000} s` : e.message) : '') });
    });
  });

/**
 * The environment Slurm's commands run with: the caller's, without the
 * variables that change what squeue, sacct, sinfo and scontrol print
 * (`SQUEUE_FORMAT`, `SQUEUE_STATES`, `SACCT_FORMAT`, `SLURM_TIME_FORMAT`, …).
 */
export function slurmEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^(SQUEUE|SACCT|SINFO|SCONTROL)_/.test(k) || k === 'SLURM_TIME_FORMAT') continue;
    out[k] = v;
  }
  return out;
}

/** Options of a {@link SlurmExecutor}. */
export interface SlurmExecutorOptions {
  /** The lab's task program (dist/slurmTask.js), absolute; needed to submit. */
  taskScript?: string;
  /** Resources and options of submissions. */
  options?: SlurmOptions;
  /** The queue is asked at most this often (ms; default 30 000); answers in between are the last one's. */
  minPollMs?: number;
  /** How commands run (tests pass a recorder). */
  run?: RunCommand;
  /** The caller's environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Clock (ms), for the poll interval. */
  now?: () => number;
}

/** A submission as `--dry-run` shows it: the script and where it would be submitted from. */
export interface PlannedJob {
  script: string;
  /** The job folder (sbatch runs there: relative log names land in it). */
  folder: string;
  /** The command line that would submit it. */
  command: string[];
  warnings: string[];
}

const TIMEOUT_MS = 60_000;

/** Slurm as an executor: submit / state / cancel (see the module doc). */
export class SlurmExecutor implements Executor {
  readonly kind = 'slurm' as const;
  private readonly run: RunCommand;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;
  private readonly minPollMs: number;
  private lastQuery: { at: number; ids: Set<string>; entries: QueueEntry[]; error?: string } | undefined;

  constructor(private readonly opts: SlurmExecutorOptions = {}) {
    this.run = opts.run ?? runCommand;
    this.env = slurmEnv(opts.env ?? process.env);
    this.now = opts.now ?? Date.now;
    this.minPollMs = opts.minPollMs ?? 30_000;
  }

  /** True when `sbatch` can be run here (it is on the PATH). */
  async available(): Promise<boolean> {
    const r = await this.run('sbatch', ['--version'], { env: this.env, timeoutMs: 10_000 });
    return !r.missing && r.code === 0;
  }

  /**
   * The batch script and the other files a submission of `job` would write,
   * without writing or submitting anything (`--dry-run`).
   * @throws SlurmOptionError for an option value that cannot go into the script
   */
  async plan(job: ExecutorJob): Promise<PlannedJob> {
    const options = validateSlurmOptions(this.opts.options ?? {});
    const script = buildBatchScript({
      jobName: `seq2seq-${job.name}`,
      tasks: job.runs.length,
      options,
      taskScript: this.taskScript(),
      jobFolder: path.resolve(job.folder),
      description: job.description,
    });
    const warnings: string[] = [];
    const w = await this.sharedFileSystemWarning(job.folder, options.partition);
    if (w) warnings.push(w);
    const cpus = options.cpusPerTask;
    if (cpus > MAX_THREADS) warnings.push(`--cpus-per-task ${cpus}: each run trains on ${MAX_THREADS} threads (the most train.threads allows)`);
    return { script, folder: path.resolve(job.folder), command: ['sbatch', '--parsable', SCRIPT_FILE], warnings };
  }

  /**
   * Submit `job` (one sbatch job, or one array for several runs). Writes the
   * run and job records and the script first, submits from the job folder,
   * then records the job id; on a refusal everything it wrote is taken back.
   * @throws SlurmOptionError for a bad option; SlurmError when sbatch is not
   *   on the PATH (`missing`) or Slurm refused the job (`refused`, with Slurm's message)
   */
  async submit(job: ExecutorJob): Promise<SubmittedJob> {
    const planned = await this.plan(job);
    const options = validateSlurmOptions(this.opts.options ?? {});
    const version = await this.run('sbatch', ['--version'], { env: this.env, timeoutMs: 10_000 });
    if (version.missing) {
      throw new SlurmError(
        'sbatch is not on the PATH of this machine: Slurm jobs are submitted from a machine of the cluster (a login node; in VS Code, connect to it with Remote-SSH), or train on this machine',
        'missing',
      );
    }
    const folder = planned.folder;
    const threads = Math.min(options.cpusPerTask, MAX_THREADS);
    const undo = new Undo();
    try {
      await undo.mkdir(folder);
      const records: SlurmRunRecord[] = [];
      for (const [i, run] of job.runs.entries()) {
        const runDir = path.resolve(run.runDir);
        await undo.mkdir(runDir);
        const record: SlurmRunRecord = {
          version: 1,
          jobFolder: folder,
          index: i,
          tasks: job.runs.length,
          config: { ...run.config, train: { ...run.config.train, threads } },
          ...(run.configPath ? { configPath: run.configPath } : {}),
          ...(run.label ? { label: run.label } : {}),
          ...(run.evaluate ? { evaluate: run.evaluate } : {}),
          ...(run.resume ? { resume: true } : {}),
        };
        records.push(record);
        await undo.write(path.join(runDir, RUN_RECORD_FILE), record);
      }
      const jobRecord: SlurmJobRecord = {
        version: 1,
        name: job.name,
        runDirs: job.runs.map((r) => path.resolve(r.runDir)),
        options,
        logs: logPatterns(job.runs.length),
      };
      await undo.write(path.join(folder, JOB_FILE), jobRecord);
      await undo.write(path.join(folder, SCRIPT_FILE), planned.script);
      const r = await this.run('sbatch', ['--parsable', SCRIPT_FILE], { cwd: folder, env: this.env, timeoutMs: TIMEOUT_MS });
      if (r.code !== 0) throw new SlurmError(`Slurm refused the job: ${sbatchRefusal(r.stderr)}`, 'refused');
      const { jobId, cluster } = parseSbatchParsable(r.stdout);
      const submitted = new Date(this.now()).toISOString();
      await writeJsonAtomic(path.join(folder, JOB_FILE), { ...jobRecord, jobId, ...(cluster ? { cluster } : {}), submitted });
      const runs: SubmittedJob['runs'] = [];
      for (const [i, record] of records.entries()) {
        const names = logFiles(job.runs.length, jobId, i);
        const logs = { out: path.join(folder, names.out), err: path.join(folder, names.err) };
        const id = job.runs.length > 1 ? `${jobId}_${i}` : jobId;
        await writeJsonAtomic(path.join(jobRecord.runDirs[i]!, RUN_RECORD_FILE), { ...record, jobId: id, submitted, logs });
        runs.push({ runDir: jobRecord.runDirs[i]!, jobId: id, logs });
      }
      this.lastQuery = undefined; // a new job: the next state() asks Slurm
      return { executor: 'slurm', jobId, ...(cluster ? { cluster } : {}), runs, warnings: planned.warnings };
    } catch (e) {
      await undo.run();
      throw e;
    }
  }

  /**
   * The state of each run folder (in the order given): its task events and
   * metrics.jsonl first, then one `squeue` for all their jobs (at most once
   * per `minPollMs`), `sacct` for jobs squeue no longer lists, and
   * `scontrol show job` for the exit code of a job that ended without its
   * task saying how. Folders without `slurm.json` are reported as failed with
   * a note. Never throws for Slurm trouble: a failed squeue gives the run
   * folders' own states with an `unreachable` note.
   */
  async state(runDirs: readonly string[]): Promise<RunStatus[]> {
    const dirs = runDirs.map((d) => path.resolve(d));
    const facts = await Promise.all(
      dirs.map(async (runDir) => {
        const record = await readRunRecord(runDir).catch(() => undefined);
        const [taskEvents, metricsTail, lock] = await Promise.all([
          readTaskEvents(runDir),
          readTailEvents(path.join(runDir, 'metrics.jsonl')).catch(() => []),
          readRunLock(runDir),
        ]);
        const localHolder = lock?.live && !lock.holder.slurmJob && lock.holder.host === os.hostname() ? lock.holder.pid : undefined;
        return { runDir, record, taskEvents, metricsTail, localHolder };
      }),
    );
    // Slurm is asked only about jobs whose task has not recorded how it ended.
    const ended = (f: (typeof facts)[number]) => {
      const mine = f.taskEvents.filter((e) => e.job === f.record?.jobId);
      return mine.length > 0 && mine[mine.length - 1]!.event === 'end' && (mine[mine.length - 1] as { how: string }).how !== 'cancelled';
    };
    const ids = [...new Set(facts.flatMap((f) => (f.record?.jobId && !ended(f) ? [f.record.jobId] : [])))];
    const { entries, error } = await this.queue(ids);
    const byId = new Map(entries.map((e) => [e.jobId, e]));
    const statuses = facts.map((f): RunStatus => {
      if (!f.record) return { run: f.runDir, executor: 'slurm', state: 'failed', jobId: null, step: 0, note: { kind: 'task-error', message: `${f.runDir} has no ${RUN_RECORD_FILE}: it was not submitted to Slurm` } };
      const q = f.record.jobId ? byId.get(f.record.jobId) : undefined;
      return deriveSlurmStatus({
        runDir: f.runDir,
        record: f.record,
        taskEvents: f.taskEvents,
        metricsTail: f.metricsTail,
        ...(q ? { queue: q } : {}),
        ...(error !== undefined ? { queueError: error } : {}),
        ...(f.localHolder !== undefined ? { localHolder: f.localHolder } : {}),
      });
    });
    // The exit code and the error log of jobs that ended badly without their task saying how.
    const dead = statuses.filter((s) => s.jobId && (s.note?.kind === 'died' || s.note?.kind === 'never-started'));
    if (dead.length) {
      const r = await this.run('scontrol', ['show', 'job', '-o', ...dead.map((s) => s.jobId!)], { env: this.env, timeoutMs: TIMEOUT_MS });
      const jobs = new Map(parseScontrolShowJob(r.stdout).map((j) => [j.jobId, j]));
      for (const s of dead) {
        const j = jobs.get(s.jobId!);
        if (j?.exitCode && s.note && (s.note.kind === 'died' || s.note.kind === 'never-started')) s.note.exitCode = j.exitCode.code;
        if (j?.restarts) s.restarts = Math.max(s.restarts ?? 0, j.restarts);
      }
    }
    await Promise.all(
      statuses.map(async (s) => {
        if ((s.state === 'failed' || s.state === 'timed out') && s.logs) {
          const tail = await tailOf(s.logs.err, 10);
          if (tail) s.errTail = tail;
          if (s.note?.kind === 'never-started') s.note.logWritten = existsSync(s.logs.err) || existsSync(s.logs.out);
        }
      }),
    );
    return statuses;
  }

  /**
   * Cancel the runs that are queued or running (`scancel` of their job or
   * array task; a running task gets SIGTERM, stops after its step and writes
   * `last/`), and record the request in each one's `slurm.json`.
   * @throws SlurmError when scancel is missing or fails for a job that is still queued or running
   */
  async cancel(runDirs: readonly string[]): Promise<CancelResult[]> {
    this.lastQuery = undefined; // what is cancelled is decided on a fresh answer
    const statuses = await this.state(runDirs);
    const active = statuses.filter((s) => (s.state === 'queued' || s.state === 'running') && s.jobId && s.note?.kind !== 'local');
    const results: CancelResult[] = statuses.map((s) => ({
      run: s.run,
      jobId: s.jobId,
      sent: false,
      why: s.note?.kind === 'local' ? `it trains on this machine (pid ${s.note.pid}), not as a Slurm job` : `it is ${s.state}`,
    }));
    if (active.length === 0) return results;
    const r = await this.run('scancel', active.map((s) => s.jobId!), { env: this.env, timeoutMs: TIMEOUT_MS });
    if (r.missing) throw new SlurmError('scancel is not on the PATH of this machine', 'missing');
    if (r.code !== 0) {
      // scancel also fails for a job that ended meanwhile: ask again before calling it an error.
      this.lastQuery = undefined;
      const again = await this.state(active.map((s) => s.run));
      if (again.some((s) => s.state === 'queued' || s.state === 'running')) throw new SlurmError(`scancel failed: ${r.stderr.trim() || `exit code ${r.code}`}`, 'failed');
    }
    const time = new Date(this.now()).toISOString();
    for (const s of active) {
      const record = await readRunRecord(s.run);
      if (record) await writeJsonAtomic(path.join(s.run, RUN_RECORD_FILE), { ...record, cancelRequested: time });
      const i = results.findIndex((x) => x.run === s.run);
      results[i] = { run: s.run, jobId: s.jobId, sent: true };
    }
    this.lastQuery = undefined;
    return results;
  }

  /**
   * A warning when `folder` looks invisible to the compute nodes: it is on a
   * local file system of this machine (ext4, xfs, tmpfs, …, from statfs) and
   * the partition has nodes other than this machine. Such a folder is still
   * shared when this machine exports it (NFS), hence a warning, not an
   * error; a job whose task never writes to its run folder is reported as
   * such by {@link state}. Undefined when nothing suggests a problem.
   */
  async sharedFileSystemWarning(folder: string, partition?: string): Promise<string | undefined> {
    const local = await localFileSystem(folder);
    if (!local) return undefined;
    const nodes = await this.partitionNodes(partition);
    const here = new Set(['localhost', os.hostname(), os.hostname().split('.')[0]!]);
    const others = nodes.filter((n) => !here.has(n));
    if (others.length === 0) return undefined;
    const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? `, … (${others.length} nodes)` : '');
    return (
      `${folder} is on a file system of this machine (${local}), and the jobs run on other nodes (${shown}): ` +
      'they see it only if this machine shares it with them (e.g. over NFS). If the jobs end without writing to their run folders, ' +
      'put the runs folder on a shared file system (home, project or scratch space).'
    );
  }

  /** The nodes of `partition` (the default partition when absent), from `sinfo`; empty when sinfo cannot tell. */
  private async partitionNodes(partition?: string): Promise<string[]> {
    const r = await this.run('sinfo', ['-h', '-o', '%P|%N'], { env: this.env, timeoutMs: TIMEOUT_MS });
    if (r.code !== 0) return [];
    const wanted = partition?.split(',');
    const nodes: string[] = [];
    for (const line of r.stdout.split('\n')) {
      const [p, list] = line.trim().split('|');
      if (!p || !list) continue;
      const isDefault = p.endsWith('*');
      const name = p.replace(/\*$/, '');
      if (wanted ? wanted.includes(name) : isDefault) nodes.push(...expandHostList(list));
    }
    return [...new Set(nodes)];
  }

  /**
   * Slurm's entries for `ids` (`123` or `123_4`): `squeue -h -r -t all -j`
   * their jobs, then `sacct` for those squeue no longer lists. Reuses the
   * last answer when it is younger than `minPollMs` and covers every id.
   */
  private async queue(ids: readonly string[]): Promise<{ entries: QueueEntry[]; error?: string }> {
    if (ids.length === 0) return { entries: [] };
    const now = this.now();
    const last = this.lastQuery;
    if (last && now - last.at < this.minPollMs && ids.every((id) => last.ids.has(id))) return { entries: last.entries, ...(last.error ? { error: last.error } : {}) };
    const jobs = [...new Set(ids.map((id) => id.split('_')[0]!))];
    const r = await this.run('squeue', ['-h', '-r', '-t', 'all', '-j', jobs.join(','), '-o', SQUEUE_FORMAT], { env: this.env, timeoutMs: TIMEOUT_MS });
    let entries: QueueEntry[] = [];
    let error: string | undefined;
    if (r.missing) error = 'squeue is not on the PATH of this machine';
    else if (r.code === 0) entries = parseSqueue(r.stdout);
    else if (!/invalid job id/i.test(r.stderr)) error = `squeue failed: ${r.stderr.trim() || `exit code ${r.code}`}`;
    if (error === undefined) {
      const known = new Set(entries.map((e) => e.jobId));
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length) {
        const s = await this.run('sacct', ['-P', '-n', '-X', '-j', [...new Set(missing.map((id) => id.split('_')[0]!))].join(','), '-o', SACCT_FORMAT], { env: this.env, timeoutMs: TIMEOUT_MS });
        if (s.code === 0) entries.push(...parseSacct(s.stdout).filter((e) => missing.includes(e.jobId)));
      }
    }
    this.lastQuery = { at: now, ids: new Set(ids), entries, ...(error ? { error } : {}) };
    return { entries, ...(error ? { error } : {}) };
  }

  private taskScript(): string {
    if (!this.opts.taskScript) throw new SlurmError('no task program given to the Slurm executor (dist/slurmTask.js)', 'failed');
    return this.opts.taskScript;
  }
}

/** The most threads a run trains on (train.threads' maximum in the schema). */
const MAX_THREADS = 16;

/** statfs magic numbers of file systems local to one machine, with their names. */
const LOCAL_FILE_SYSTEMS: Record<number, string> = {
  0xef53: 'ext2/ext3/ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0xf2f52010: 'f2fs',
  0x4d44: 'vfat',
  0x5346544e: 'ntfs',
  0x858458f6: 'ramfs',
};

/**
 * The name of the file system holding `folder` (or its nearest existing
 * ancestor) when it is one that only this machine sees (ext4, xfs, btrfs,
 * tmpfs, …, by its statfs type); undefined for network and cluster file
 * systems (NFS, Lustre, GPFS, BeeGFS, CephFS, …) and types it does not know.
 */
export async function localFileSystem(folder: string): Promise<string | undefined> {
  try {
    return LOCAL_FILE_SYSTEMS[Number((await fs.statfs(existingAncestor(path.resolve(folder)))).type)];
  } catch {
    return undefined;
  }
}

/** `p`, or its nearest existing ancestor (a folder about to be created). */
function existingAncestor(p: string): string {
  let dir = p;
  for (;;) {
    if (existsSync(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) return dir;
    dir = up;
  }
}

/** The last `lines` lines of a text file; undefined when it is missing or empty. */
export async function tailOf(file: string, lines: number): Promise<string | undefined> {
  const fh = await fs.open(file, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(0, size - 16 * 1024);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const text = buf.toString('utf8').replace(/\s+$/, '');
    return text ? text.split('\n').slice(-lines).join('\n') : undefined;
  } finally {
    await fh.close();
  }
}

/** What a submission wrote, to take back when Slurm refuses it: folders it created, files it created or replaced. */
class Undo {
  private readonly steps: (() => Promise<void>)[] = [];

  async mkdir(dir: string): Promise<void> {
    const existed = await fs.stat(dir).then(() => true, () => false);
    await fs.mkdir(dir, { recursive: true });
    if (!existed) this.steps.push(() => fs.rm(dir, { recursive: true, force: true }));
  }

  async write(file: string, value: unknown): Promise<void> {
    const before = await fs.readFile(file).catch(() => undefined);
    this.steps.push(() => (before === undefined ? fs.rm(file, { force: true }) : fs.writeFile(file, before)));
    if (typeof value === 'string') await fs.writeFile(file, value);
    else await writeJsonAtomic(file, value);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
  }
}
