/**
 * The CLI's side of the Slurm executor: the `--executor` option and the
 * sbatch resources of `seq2seq train` and `seq2seq ablate`, their
 * submission (or `--dry-run`), and `seq2seq jobs status|cancel|logs`.
 * Option values override the config's `slurm` section; the work itself is
 * src/core/experiments/slurmExecutor.ts.
 */
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import * as l10n from '@vscode/l10n';
import type { Seq2SeqConfig, SlurmConfig } from '../core/config/config';
import { ablationDirName, type AblationSpec, type Variant, type VariantResult } from '../core/experiments/ablation';
import { statusOf, type ExecutorJob } from '../core/experiments/executor';
import { ablationRuns, collectAblation, readAblationSummary, submittedSummary } from '../core/experiments/slurmAblation';
import { SlurmExecutor, tailOf } from '../core/experiments/slurmExecutor';
import { JOB_FILE, readJobRecord, RUN_RECORD_FILE, writeJsonAtomic, type RunStatus } from '../core/experiments/slurmJobs';
import type { SlurmOptions } from '../core/experiments/slurmScript';
import { describeNote, stateLabel, statusLine } from '../shared/jobText';
import { nonNegativeInt, positiveInt } from './argParsers';

/** The executor and Slurm options of `train` / `ablate`, as commander parses them. */
export interface ExecutorFlags {
  executor?: 'local' | 'slurm';
  partition?: string;
  account?: string;
  time?: string;
  cpusPerTask?: number;
  mem?: string;
  gres?: string;
  maxParallel?: number;
  sbatchArg?: string[];
  setup?: string[];
  signalSeconds?: number;
  dryRun?: boolean;
}

const SLURM_ONLY = ['partition', 'account', 'time', 'cpusPerTask', 'mem', 'gres', 'maxParallel', 'sbatchArg', 'setup', 'signalSeconds', 'dryRun'] as const;

const repeat = (v: string, prev: string[] = []) => [...prev, v];

/** Add `--executor` and the Slurm options to `train` or `ablate` (`array`: the ablation's `--max-parallel`). */
export function addExecutorOptions(cmd: Command, array: boolean): Command {
  cmd
    .addOption(new Option('--executor <where>', l10n.t('where the training runs: local (this process) or slurm (sbatch jobs; see docs/slurm.md)')).choices(['local', 'slurm']).default('local'))
    .option('--partition <name>', l10n.t('Slurm partition(s) (default: the config\'s slurm.partition, else the cluster\'s default)'))
    .option('--account <name>', l10n.t('Slurm account to charge'))
    .option('--time <limit>', l10n.t('time limit of each job, e.g. 02:00:00; before it the task checkpoints and requeues itself'))
    .option('--cpus-per-task <n>', l10n.t('CPUs of each job; each run trains on that many threads (train.threads)'), positiveInt)
    .option('--mem <size>', l10n.t('memory of each job, e.g. 8G'))
    .option('--gres <list>', l10n.t('generic resources of each job, e.g. gpu:1'));
  if (array) cmd.option('--max-parallel <n>', l10n.t('at most n variants at once (the job array\'s %n; 0: no limit)'), nonNegativeInt);
  return cmd
    .option('--sbatch-arg <option>', l10n.t('a further sbatch option such as --qos=short (repeatable)'), repeat)
    .option('--setup <line>', l10n.t("a shell line run on the compute node before the lab starts, e.g. 'module load nodejs/20' (repeatable)"), repeat)
    .option('--signal-seconds <s>', l10n.t('seconds before the time limit at which the task checkpoints and requeues itself (default 120)'), positiveInt)
    .option('--dry-run', l10n.t('print the batch script and where it would be submitted; submit nothing'));
}

/**
 * The Slurm options of a submission: the flags over the config's `slurm`
 * section (setup lines and sbatch arguments: the config's first, then the flags').
 * @throws Error naming a Slurm option given without `--executor slurm`
 */
export function slurmOptionsOf(flags: ExecutorFlags, section: SlurmConfig | undefined): SlurmOptions | undefined {
  if (flags.executor !== 'slurm') {
    const given = SLURM_ONLY.filter((k) => flags[k] !== undefined);
    if (given.length) {
      const names = given.map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()));
      throw Object.assign(new Error(l10n.t('{0} only applies with --executor slurm', names.join(', '))), { name: 'ConfigError' });
    }
    return undefined;
  }
  const c = section ?? {};
  const pick = <T>(flag: T | undefined, cfg: T | undefined) => (flag !== undefined ? flag : cfg);
  const o: SlurmOptions = {
    partition: pick(flags.partition, c.partition),
    account: pick(flags.account, c.account),
    time: pick(flags.time, c.time),
    cpusPerTask: pick(flags.cpusPerTask, c.cpusPerTask),
    mem: pick(flags.mem, c.mem),
    gres: pick(flags.gres, c.gres),
    maxParallel: pick(flags.maxParallel, c.maxParallel),
    sbatchArgs: [...(c.sbatchArgs ?? []), ...(flags.sbatchArg ?? [])],
    setup: [...(c.setup ?? []), ...(flags.setup ?? [])],
    signalSeconds: pick(flags.signalSeconds, c.signalSeconds),
  };
  for (const k of Object.keys(o) as (keyof SlurmOptions)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** dist/slurmTask.js next to this bundle (dist/cli.js), else in the package's dist/ (the CLI run from sources). */
export function taskScriptPath(packageRoot: string): string {
  const candidates = [path.join(__dirname, 'slurmTask.js'), path.join(packageRoot, 'dist', 'slurmTask.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(l10n.t('{0} is missing: run `npm run build` in the seq2seq-lab folder', candidates[candidates.length - 1]!));
  return found;
}

/** Print what `--dry-run` shows, or submit and say where to follow the job. */
async function submitOrShow(executor: SlurmExecutor, job: ExecutorJob, dryRun: boolean, log: (s: string) => void) {
  if (dryRun) {
    const plan = await executor.plan(job);
    for (const w of plan.warnings) log(l10n.t('warning: {0}', w));
    log(l10n.t('# dry run: nothing is written or submitted. In {0} the lab would run: {1}', plan.folder, plan.command.join(' ')));
    log(plan.script);
    return undefined;
  }
  const submitted = await executor.submit(job);
  for (const w of submitted.warnings) log(l10n.t('warning: {0}', w));
  return submitted;
}

/** `seq2seq train --executor slurm`: submit one run as one job (or print it with `--dry-run`). */
export async function submitTrain(args: { config: Seq2SeqConfig; configPath?: string; runDir: string; resume: boolean; name: string; flags: ExecutorFlags; packageRoot: string }): Promise<void> {
  const options = slurmOptionsOf(args.flags, args.config.slurm)!;
  const executor = new SlurmExecutor({ taskScript: taskScriptPath(args.packageRoot), options });
  const job: ExecutorJob = {
    name: args.name,
    folder: args.runDir,
    runs: [{ runDir: args.runDir, config: args.config, configPath: args.configPath, resume: args.resume }],
    description: `seq2seq train --executor slurm${args.configPath ? ` --config ${path.basename(args.configPath)}` : ''}${args.resume ? ' --resume' : ''}`,
  };
  const submitted = await submitOrShow(executor, job, args.flags.dryRun ?? false, (s) => console.log(s));
  if (!submitted) return;
  const run = submitted.runs[0]!;
  console.log(l10n.t('submitted Slurm job {0}: {1}', submitted.jobId ?? '?', args.runDir));
  if (run.logs) console.log(l10n.t('log: {0} (errors: {1})', run.logs.out, run.logs.err));
  console.log(l10n.t('follow it with: seq2seq jobs status {0}', quoteArg(args.runDir)));
}

/** `seq2seq ablate --executor slurm`: the variants as one job array, ablation.json written at once (or `--dry-run`). */
export async function submitAblation(args: {
  name: string;
  variants: Variant[];
  specs: AblationSpec[];
  base: Seq2SeqConfig;
  baseConfigPath: string;
  includeBase: boolean;
  runsDir: string;
  started: Date;
  stamp: string;
  beam: number;
  batchSize: number;
  flags: ExecutorFlags;
  packageRoot: string;
  json?: boolean;
  /** `--seeds`: recorded in ablation.json, whose `groups` are filled in as the tasks end. */
  seeds?: readonly number[];
}): Promise<void> {
  const options = slurmOptionsOf(args.flags, args.base.slurm)!;
  const executor = new SlurmExecutor({ taskScript: taskScriptPath(args.packageRoot), options });
  const folder = path.join(args.runsDir, ablationDirName(args.name, args.stamp));
  const runs = ablationRuns({ ...args, configPath: args.baseConfigPath, evaluate: { beam: args.beam, batchSize: args.batchSize } }, existsSync);
  const job: ExecutorJob = { name: args.name, folder, runs, description: `seq2seq ablate --executor slurm: ${args.specs.map((s) => s.text).join(' ')}${args.seeds?.length ? ` --seeds ${args.seeds.join(',')}` : ''}` };
  const log = (s: string) => (args.json ? process.stderr.write(s + '\n') : console.log(s));
  const submitted = await submitOrShow(executor, job, args.flags.dryRun ?? false, log);
  if (!submitted) return;
  const summary = submittedSummary({ ...args, configPath: args.baseConfigPath, testBeam: args.beam }, submitted);
  await writeJsonAtomic(path.join(folder, 'ablation.json'), summary);
  if (args.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const max = options.maxParallel ? l10n.t(', at most {0} at once', options.maxParallel) : '';
  log(l10n.t('submitted Slurm job array {0}: {1} variants{2}', submitted.jobId ?? '?', runs.length, max));
  log(table([l10n.t('variant'), l10n.t('job'), l10n.t('run folder')], summary.variants.map((r) => [r.label, r.jobId ?? '', r.runDir ?? ''])));
  log(l10n.t('logs and ablation.json: {0}', folder));
  log(l10n.t('follow it with: seq2seq jobs status {0}', quoteArg(folder)));
}

/** A path as a shell argument for the hints the CLI prints. */
function quoteArg(p: string): string {
  return /^[A-Za-z0-9_/.,:=+@%-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/**
 * The run folders a `jobs` argument stands for: a job folder's runs
 * (slurm-job.json), an ablation's (ablation.json), a run folder itself, or
 * every run folder directly inside a runs folder.
 * @throws Error when the folder is none of these
 */
export async function runsOf(folder: string): Promise<{ runDirs: string[]; ablationDir?: string }> {
  const dir = path.resolve(folder);
  const ablation = await readAblationSummary(dir);
  if (ablation) return { runDirs: ablation.variants.flatMap((v) => (v.runDir ? [v.runDir] : [])), ablationDir: dir };
  if (existsSync(path.join(dir, RUN_RECORD_FILE)) || existsSync(path.join(dir, 'run.json'))) return { runDirs: [dir] };
  const job = await readJobRecord(dir);
  if (job) return { runDirs: job.runDirs };
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => {
    throw Object.assign(new Error(l10n.t('{0}: no such folder', dir)), { name: 'DataError' });
  });
  const runDirs = entries.filter((e) => e.isDirectory() && (existsSync(path.join(dir, e.name, RUN_RECORD_FILE)) || existsSync(path.join(dir, e.name, 'run.json')))).map((e) => path.join(dir, e.name));
  if (runDirs.length === 0) {
    throw Object.assign(new Error(l10n.t('{0} is neither a run folder, an ablation folder nor a folder of runs (no {1}, run.json, ablation.json or {2})', dir, RUN_RECORD_FILE, JOB_FILE)), { name: 'DataError' });
  }
  return { runDirs: runDirs.sort() };
}

/** One status as the JSON line `jobs status --json` prints. */
export function statusJson(s: RunStatus): Record<string, unknown> {
  return { ...s, stateLabel: stateLabel(s.state), message: describeNote(s.note, s.logs) ?? null };
}

/** Add `seq2seq jobs status|cancel|logs <folder…>` (`formatAblationTable`: ablate's table, printed once an ablation's tasks have all ended). */
export function addJobsCommand(
  program: Command,
  localizedHelp: (c: Command) => void,
  formatAblationTable: (variants: readonly VariantResult[], beam: number) => string,
): Command {
  const jobs = program.command('jobs').description(l10n.t('the state, logs and cancelling of runs trained as Slurm jobs (or on this machine): give run folders, ablation folders or a runs folder'));
  const executor = () => new SlurmExecutor({ minPollMs: 0 });
  const status = jobs
    .command('status')
    .description(l10n.t('the state of each run: queued, running, done, failed, timed out or cancelled, with its step and job'))
    .argument('<folders...>', l10n.t('run folders, ablation folders or runs folders'))
    .option('--json', l10n.t('print one JSON object per line and run: {run, jobId, state, step, …}'))
    .action(async (folders: string[], o: { json?: boolean }) => {
      for (const folder of folders) {
        const { runDirs, ablationDir } = await runsOf(folder);
        const statuses = await statusOf(runDirs, executor());
        if (o.json) for (const s of statuses) console.log(JSON.stringify(statusJson(s)));
        else printStatuses(statuses);
        if (ablationDir) {
          const collected = await collectAblation(ablationDir, statuses, (s) => describeNote(s.note, s.logs) ?? stateLabel(s.state));
          if (collected?.complete && !o.json) {
            console.log('\n' + formatAblationTable(collected.summary.variants, collected.summary.testBeam ?? 1));
            console.log(l10n.t('summary written to {0}', path.join(ablationDir, 'ablation.json')));
          }
        }
        if (statuses.some((s) => s.state === 'failed' || s.state === 'timed out')) process.exitCode = 1;
      }
    });
  const cancel = jobs
    .command('cancel')
    .description(l10n.t('cancel the runs that are queued or running (scancel; a running task writes last/ first); train --resume continues one later'))
    .argument('<folders...>', l10n.t('run folders, ablation folders or runs folders'))
    .action(async (folders: string[]) => {
      for (const folder of folders) {
        const { runDirs } = await runsOf(folder);
        const slurm: string[] = [];
        const local: string[] = [];
        for (const d of runDirs) (existsSync(path.join(d, RUN_RECORD_FILE)) ? slurm : local).push(d);
        const { LocalExecutor } = await import('../core/experiments/executor');
        const results = [...(slurm.length ? await executor().cancel(slurm) : []), ...(local.length ? await new LocalExecutor().cancel(local) : [])];
        for (const r of results) {
          const name = path.basename(r.run);
          console.log(r.sent ? l10n.t('{0}: cancel sent{1}', name, r.jobId ? ` (${l10n.t('job {0}', r.jobId)})` : '') : l10n.t('{0}: not cancelled: {1}', name, r.why ?? ''));
        }
      }
    });
  const logs = jobs
    .command('logs')
    .description(l10n.t('the log files of each run\'s job and their last lines'))
    .argument('<folders...>', l10n.t('run folders, ablation folders or runs folders'))
    .option('-n, --lines <n>', l10n.t('last lines of each log'), positiveInt, 20)
    .option('--err', l10n.t('only the error logs'))
    .action(async (folders: string[], o: { lines: number; err?: boolean }) => {
      for (const folder of folders) {
        const { runDirs } = await runsOf(folder);
        const statuses = await statusOf(runDirs, executor());
        for (const s of statuses) {
          console.log(`== ${path.basename(s.run)} · ${statusLine(s)}`);
          if (!s.logs) {
            console.log(l10n.t('(no Slurm logs: the run trained on this machine)'));
            continue;
          }
          for (const file of o.err ? [s.logs.err] : [s.logs.out, s.logs.err]) {
            const tail = await tailOf(file, o.lines);
            console.log(`-- ${file}`);
            console.log(tail ?? l10n.t('(empty or not written yet)'));
          }
        }
      }
    });
  for (const c of [jobs, status, cancel, logs]) localizedHelp(c);
  return jobs;
}

/** The `jobs status` table: run, job, state, step, then the notes. */
function printStatuses(statuses: readonly RunStatus[]): void {
  const rows = statuses.map((s) => [path.basename(s.run), s.jobId ?? '—', stateLabel(s.state), String(s.step), s.node ?? '']);
  console.log(table([l10n.t('run'), l10n.t('job'), l10n.t('state'), l10n.t('step'), l10n.t('node')], rows, [3]));
  for (const s of statuses) {
    const note = describeNote(s.note, s.logs);
    if (note) console.log(`${path.basename(s.run)}: ${note}`);
    if (s.errTail) console.log(s.errTail.split('\n').map((l) => `  | ${l}`).join('\n'));
  }
}

/** A plain table: every column left-aligned but those listed in `right`, two spaces apart. */
function table(head: readonly string[], body: readonly (readonly string[])[], right: readonly number[] = []): string {
  const width = (s: string) => [...s].reduce((w, c) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(c) ? 2 : 1), 0);
  const cols = head.map((h, j) => Math.max(width(h), ...body.map((b) => width(b[j] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => {
        const fill = ' '.repeat(cols[j]! - width(c));
        return right.includes(j) ? fill + c : j === cells.length - 1 ? c : c + fill;
      })
      .join('  ');
  return [head, ...body].map(line).join('\n');
}
