/**
 * The Slurm batch script of a run or of an ablation's job array, and the
 * checks that keep every value that reaches it harmless.
 *
 * What the script holds: `#SBATCH` lines built only from validated values
 * (partition, account, time, CPUs, memory, GRES, `--sbatch-arg`s, the job
 * name, the array range), the user's `--setup` lines (shell commands by
 * design, e.g. `module load nodejs/20`, written verbatim, one per line), a
 * check that Node.js 20+ is on the PATH, and one `exec node <task> <folder>`
 * line whose two paths are single-quoted ({@link shellQuote}). No config value
 * is ever in the script: the task reads its run (for an array, by
 * `SLURM_ARRAY_TASK_ID`) from the job folder's `slurm-job.json`.
 *
 * Time limits (as submitit does): `--signal=B:USR1@<s>` has Slurm send
 * SIGUSR1 to the batch shell `s` seconds before the limit; the shell `exec`s
 * Node, so the task itself receives it, stops after the current step, writes
 * `last/` and requeues itself (`--requeue`); `--open-mode=append` keeps the
 * log of every attempt. No `vscode` import.
 */
import type { SlurmConfig } from '../config/config';

/** Resources and options of a Slurm submission (CLI flags, config `slurm` section, VS Code settings): the config's `SlurmConfig`. */
export type SlurmOptions = SlurmConfig;

/** Default of {@link SlurmOptions.signalSeconds}: Slurm signals up to a minute late, and a step plus `last/` must fit. */
export const DEFAULT_SIGNAL_SECONDS = 120;

/** An option value that cannot go into a batch script; the message names the option and what it takes. */
export class SlurmOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmOptionError';
  }
}

const NAME = /^[A-Za-z0-9_.+-]+$/;
const PARTITION = /^[A-Za-z0-9_.+-]+(,[A-Za-z0-9_.+-]+)*$/;
const ACCOUNT = /^[A-Za-z0-9_.@+-]+$/;
const MEM = /^\d+[KMGT]?$/i;
const GRES = /^[A-Za-z0-9_.:,+-]+$/;
/** One `#SBATCH` token: no white space, quotes, backslash, `#`, `$` or control characters. */
const SBATCH_TOKEN = /^-[A-Za-z0-9-]*(=[^\s'"\\#$`\x00-\x1f\x7f]+)?$/;

/** sbatch options the lab sets itself (or that have their own flag), with what to use instead. */
const MANAGED: Record<string, string> = {
  array: 'the lab submits an ablation as one array (use --max-parallel for its %N)',
  a: 'the lab submits an ablation as one array (use --max-parallel for its %N)',
  output: 'the lab writes the logs next to the runs',
  o: 'the lab writes the logs next to the runs',
  error: 'the lab writes the logs next to the runs',
  e: 'the lab writes the logs next to the runs',
  'open-mode': 'the lab appends the logs of a requeued task',
  signal: 'use --signal-seconds',
  requeue: 'the lab requeues a task at its time limit',
  'no-requeue': 'the lab requeues a task at its time limit',
  parsable: 'the lab reads the job id itself',
  wrap: 'the lab writes the batch script',
  chdir: 'the lab submits from the job folder',
  D: 'the lab submits from the job folder',
  partition: 'use --partition',
  p: 'use --partition',
  account: 'use --account',
  A: 'use --account',
  time: 'use --time',
  t: 'use --time',
  'cpus-per-task': 'use --cpus-per-task',
  c: 'use --cpus-per-task',
  mem: 'use --mem',
  gres: 'use --gres',
  'job-name': 'the lab names the job after the run',
  J: 'the lab names the job after the run',
};

/**
 * Seconds of a Slurm time limit (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`,
 * `D-HH:MM`, `D-HH:MM:SS`, as sbatch(1) `--time` documents them); Infinity
 * for `UNLIMITED` / `INFINITE`.
 * @throws SlurmOptionError for any other text
 */
export function parseSlurmTime(text: string): number {
  const t = text.trim();
  if (/^(UNLIMITED|INFINITE)$/i.test(t)) return Infinity;
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) throw new SlurmOptionError(`--time "${text}" is not a Slurm time limit (expected MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, e.g. 02:00:00)`);
  const [, d, a, b, c] = m;
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  if (d !== undefined) return n(d) * 86400 + n(a) * 3600 + n(b) * 60 + n(c); // D-HH[:MM[:SS]]
  if (c !== undefined) return n(a) * 3600 + n(b) * 60 + n(c); // HH:MM:SS
  if (b !== undefined) return n(a) * 60 + n(b); // MM:SS
  return n(a) * 60; // MM
}

/**
 * Check every option (the values that become `#SBATCH` lines and the setup
 * lines) and fill in the defaults (1 CPU, {@link DEFAULT_SIGNAL_SECONDS}).
 * @throws SlurmOptionError naming the option, the value and what it takes
 */
export function validateSlurmOptions(o: SlurmOptions): Required<Pick<SlurmOptions, 'cpusPerTask' | 'signalSeconds' | 'sbatchArgs' | 'setup'>> & SlurmOptions {
  const bad = (flag: string, value: unknown, what: string) => new SlurmOptionError(`${flag} ${JSON.stringify(value)}: ${what}`);
  if (o.partition !== undefined && !PARTITION.test(o.partition)) throw bad('--partition', o.partition, 'expected a partition name (letters, digits, _ . + -), or several separated by commas');
  if (o.account !== undefined && !ACCOUNT.test(o.account)) throw bad('--account', o.account, 'expected an account name (letters, digits, _ . @ + -)');
  const signal0 = o.signalSeconds ?? DEFAULT_SIGNAL_SECONDS;
  if (o.time !== undefined && parseSlurmTime(o.time) <= signal0) {
    throw bad('--time', o.time, `the time limit must be longer than the ${signal0} s before it at which the task checkpoints and requeues itself (--signal-seconds)`);
  }
  if (o.mem !== undefined && !MEM.test(o.mem)) throw bad('--mem', o.mem, 'expected a size such as 4000 (megabytes), 8G or 512M');
  if (o.gres !== undefined && !GRES.test(o.gres)) throw bad('--gres', o.gres, 'expected a GRES list such as gpu:1 or gpu:a100:2');
  const cpus = o.cpusPerTask ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 1024) throw bad('--cpus-per-task', o.cpusPerTask, 'expected an integer from 1 to 1024');
  if (o.maxParallel !== undefined && (!Number.isInteger(o.maxParallel) || o.maxParallel < 0)) throw bad('--max-parallel', o.maxParallel, 'expected an integer ≥ 0 (0: no limit)');
  const signal = o.signalSeconds ?? DEFAULT_SIGNAL_SECONDS;
  if (!Number.isInteger(signal) || signal < 1 || signal > 65535) throw bad('--signal-seconds', o.signalSeconds, 'expected an integer from 1 to 65535');
  const sbatchArgs = o.sbatchArgs ?? [];
  for (const a of sbatchArgs) {
    if (!SBATCH_TOKEN.test(a)) {
      throw bad('--sbatch-arg', a, 'expected one sbatch option such as --qos=short or --constraint=avx2 (no spaces, quotes, backslashes, # or $: it is written as an #SBATCH line)');
    }
    const name = /^--?([A-Za-z0-9-]+)/.exec(a)![1];
    if (name in MANAGED) throw bad('--sbatch-arg', a, MANAGED[name]);
  }
  const setup = o.setup ?? [];
  for (const line of setup) {
    if (/[\n\r\0]/.test(line)) throw bad('--setup', line, 'one shell line each (no line breaks); give --setup once per line');
  }
  return { ...o, cpusPerTask: cpus, signalSeconds: signal, sbatchArgs, setup };
}

/**
 * `s` as one word for a POSIX shell: unchanged when it holds only
 * characters no shell interprets, else in single quotes (each `'` written as
 * `'\''`), which keep every other character literally, line breaks
 * included.
 * @throws SlurmOptionError for a NUL character (no shell word can hold one)
 */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new SlurmOptionError(`${JSON.stringify(s)} contains a NUL character`);
  if (/^[A-Za-z0-9_/.,:=+@%-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** What the batch script runs, and how it is named and logged. */
export interface BatchScriptInput {
  /** Job name (sanitised to letters, digits, `_ . + -`). */
  jobName: string;
  /** One task per run: 1 (a plain job) or the variants of an ablation (a job array). */
  tasks: number;
  /** Validated options ({@link validateSlurmOptions}). */
  options: ReturnType<typeof validateSlurmOptions>;
  /** The lab's task program (dist/slurmTask.js), absolute. */
  taskScript: string;
  /** The job folder (holds slurm-job.json, the script and the logs), absolute. */
  jobFolder: string;
  /** A line of text for the script's header comment (what submitted it). */
  description?: string;
}

/** The log files of a job, relative to the job folder: Slurm's patterns for `--output` / `--error`. */
export function logPatterns(tasks: number): { out: string; err: string } {
  return tasks > 1 ? { out: '%A_%a.out', err: '%A_%a.err' } : { out: 'slurm-%j.out', err: 'slurm-%j.err' };
}

/** The log file names of one task (`jobId`: the array job id, or the job id of a plain job). */
export function logFiles(tasks: number, jobId: string, taskIndex: number): { out: string; err: string } {
  return tasks > 1 ? { out: `${jobId}_${taskIndex}.out`, err: `${jobId}_${taskIndex}.err` } : { out: `slurm-${jobId}.out`, err: `slurm-${jobId}.err` };
}

/**
 * The batch script (bash). See the module doc for what it holds and why
 * no config value and no unquoted path reaches it.
 * @throws SlurmOptionError for a path holding a NUL character
 */
export function buildBatchScript(input: BatchScriptInput): string {
  const o = input.options;
  const name = input.jobName.replace(/[^A-Za-z0-9_.+-]+/g, '-').slice(0, 100) || 'seq2seq';
  if (!NAME.test(name)) throw new SlurmOptionError(`job name ${JSON.stringify(input.jobName)}`);
  const logs = logPatterns(input.tasks);
  const sb: string[] = [`--job-name=${name}`];
  if (input.tasks > 1) sb.push(`--array=0-${input.tasks - 1}${o.maxParallel ? `%${o.maxParallel}` : ''}`);
  sb.push(`--output=${logs.out}`, `--error=${logs.err}`, '--open-mode=append', '--requeue', `--signal=B:USR1@${o.signalSeconds}`, `--cpus-per-task=${o.cpusPerTask}`);
  if (o.time !== undefined) sb.push(`--time=${o.time}`);
  if (o.partition !== undefined) sb.push(`--partition=${o.partition}`);
  if (o.account !== undefined) sb.push(`--account=${o.account}`);
  if (o.mem !== undefined) sb.push(`--mem=${o.mem}`);
  if (o.gres !== undefined) sb.push(`--gres=${o.gres}`);
  sb.push(...o.sbatchArgs);
  const folder = shellQuote(input.jobFolder);
  const lines = [
    '#!/bin/bash',
    ...sb.map((s) => `#SBATCH ${s}`),
    `# ${(input.description ?? 'Seq2Seq Lab').replace(/[\r\n]+/g, ' ')}`,
    input.tasks > 1
      ? `# One task per run: task i trains runDirs[i] of slurm-job.json in the job folder (SLURM_ARRAY_TASK_ID).`
      : `# One task: it trains the run of slurm-job.json in the job folder.`,
    '# At the time limit Slurm sends SIGUSR1 to this shell, which is Node by then (exec): the task',
    '# stops after its current step, writes last/ and requeues itself; the requeued task resumes.',
    '',
  ];
  if (o.setup.length) lines.push('# Setup (--setup):', ...o.setup, '');
  lines.push(
    'if ! command -v node >/dev/null 2>&1; then',
    '  echo "seq2seq: Node.js (node) is not on the PATH of $(hostname) after the setup lines; add one that provides Node.js 20 or later, e.g. --setup \'module load nodejs/20\'" >&2',
    '  exit 127',
    'fi',
    'if ! node -e \'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)\'; then',
    '  echo "seq2seq: Node.js $(node --version) on $(hostname) is too old: the lab needs Node.js 20 or later (see the setup lines)" >&2',
    '  exit 127',
    'fi',
    `if [ ! -d ${folder} ]; then`,
    `  echo "seq2seq: the job folder does not exist on $(hostname): "${folder}" (the runs folder must be on a file system the compute nodes share)" >&2`,
    '  exit 2',
    'fi',
    `exec node ${shellQuote(input.taskScript)} ${folder}`,
    '',
  );
  return lines.join('\n');
}
