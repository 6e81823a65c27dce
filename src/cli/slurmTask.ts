/**
 * The program a Slurm task runs (bundled as dist/slurmTask.js; the batch
 * script written by src/core/experiments/slurmScript.ts ends with
 * `exec node dist/slurmTask.js <job folder>`):
 *
 * 1. finds its run: `runDirs[SLURM_ARRAY_TASK_ID]` of the job folder's
 *    `slurm-job.json` (task 0 for a plain job), and the config to train in
 *    the run folder's `slurm.json`;
 * 2. writes `start` to the run folder's `slurm-task.jsonl` (the handshake
 *    that shows the compute node sees the folder);
 * 3. trains (`train()`, resuming from `last/` on a requeued attempt), its
 *    log lines on stdout (the job's `.out`);
 * 4. on SIGUSR1 (Slurm's warning before the time limit, `--signal=B:USR1@s`)
 *    stops after the current step, writes `last/`, records `requeue` and
 *    requeues itself with `scontrol requeue $SLURM_JOB_ID` (as submitit
 *    does); on SIGTERM (scancel) stops after the step and records
 *    `end cancelled`; an ablation's variant is then evaluated on its test
 *    pairs and `end done` records the outcome; a failure records
 *    `end failed` with the message (also on stderr, the job's `.err`).
 *
 * Exit codes: 0 finished or requeued, 1 failed, 143 cancelled.
 */
import * as os from 'os';
import * as path from 'path';
import * as l10n from '@vscode/l10n';
import { describeError } from '../core/errors';
import { meanTokensPerSecond } from '../core/experiments/ablation';
import { appendTaskEvent, readJobRecord, readRunRecord, type TaskEvent, type TaskOutcome } from '../core/experiments/slurmJobs';
import { runCommand, slurmEnv } from '../core/experiments/slurmExecutor';
import type { DoneEvent, TrainingEvent } from '../core/training/events';
import { setUpCliL10n } from './l10n';
import { evaluateModel } from './evalModel';

/** One line of the task's log for a training event (undefined: nothing to print). */
export function taskLogLine(e: TrainingEvent, now = new Date()): string | undefined {
  const t = now.toTimeString().slice(0, 8);
  switch (e.type) {
    case 'started':
      return `[${t}] ` + l10n.t('run {0}: {1} parameters, backend {2}, {3} thread(s), from step {4} of {5}', e.runDir, e.parameters.toLocaleString('en'), e.backend, e.threads ?? 1, e.startStep, e.totalSteps);
    case 'progress':
      return `[${t}] ` + l10n.t('step {0} | epoch {1} | loss {2} | ppl {3} | {4} tok/s', e.step, e.epoch, e.loss.toFixed(3), e.perplexity.toFixed(2), Math.round(e.tokensPerSecond));
    case 'validation':
      return `[${t}] ` + l10n.t('valid step {0} | ppl {1} | BLEU {2}', e.step, e.perplexity.toFixed(2), e.bleu.toFixed(2));
    case 'log':
      return `[${t}] ${e.message}`;
    case 'done':
      return `[${t}] ` + l10n.t('done ({0}) after {1} steps', e.reason, e.step);
    default:
      return undefined;
  }
}

/** The job key of this task as slurm.json records it: `123_4` for an array task, else `123`. */
export function taskJobKey(env: NodeJS.ProcessEnv): string {
  const array = env.SLURM_ARRAY_JOB_ID;
  const task = env.SLURM_ARRAY_TASK_ID;
  if (array && task !== undefined && task !== '') return `${array}_${task}`;
  if (!env.SLURM_JOB_ID) throw new Error('SLURM_JOB_ID is not set: dist/slurmTask.js runs as a Slurm task (the batch script the lab submits starts it)');
  return env.SLURM_JOB_ID;
}

/**
 * Run the task of `jobFolder` (see the module doc).
 * @returns the process exit code
 */
export async function runTask(jobFolder: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const job = await readJobRecord(jobFolder);
  if (!job) throw new Error(`${path.join(jobFolder, 'slurm-job.json')} does not exist: the job folder holds no Slurm job of the lab`);
  const index = env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_ID !== '' ? Number(env.SLURM_ARRAY_TASK_ID) : 0;
  const runDir = job.runDirs[index];
  if (!runDir) throw new Error(`task ${index} has no run in ${path.join(jobFolder, 'slurm-job.json')} (${job.runDirs.length} runs)`);
  const record = await readRunRecord(runDir);
  if (!record) throw new Error(`${path.join(runDir, 'slurm.json')} does not exist: cannot tell what to train`);
  const jobKey = taskJobKey(env);
  const restart = Number(env.SLURM_RESTART_COUNT ?? 0) || 0;
  const event = async (e: Omit<TaskEvent, 'time' | 'job'> & Record<string, unknown>) => appendTaskEvent(runDir, { ...e, time: new Date().toISOString(), job: jobKey } as TaskEvent);
  const node = env.SLURMD_NODENAME || os.hostname();
  await event({ event: 'start', restart, node, pid: process.pid });
  console.log(l10n.t('Slurm job {0} (attempt {1}) on {2}: {3}', jobKey, restart + 1, node, runDir));

  let signal: 'USR1' | 'TERM' | undefined;
  const onUsr1 = () => {
    if (signal) return;
    signal = 'USR1';
    console.log(l10n.t('SIGUSR1: the time limit is near; stopping after this step, then requeueing'));
  };
  const onTerm = () => {
    if (signal) return;
    signal = 'TERM';
    console.log(l10n.t('SIGTERM: the job is cancelled; stopping after this step'));
  };
  process.on('SIGUSR1', onUsr1);
  process.on('SIGTERM', onTerm);

  const { train } = await import('../core/training/training');
  const progress: TrainingEvent[] = [];
  let done: DoneEvent;
  try {
    done = await train({
      config: record.config,
      configPath: record.configPath,
      outDir: runDir,
      resume: record.resume === true || restart > 0,
      listener: (e) => {
        if (e.type === 'progress') progress.push(e);
        const line = taskLogLine(e);
        if (line) console.log(line);
      },
      shouldStop: () => signal !== undefined,
    });
  } catch (e) {
    const message = describeError(e).message;
    console.error(l10n.t('seq2seq: training failed: {0}', message));
    await event({ event: 'end', how: 'failed', step: 0, message });
    return 1;
  }
  process.off('SIGTERM', onTerm);
  if (signal === 'USR1' && done.reason === 'cancelled') {
    await event({ event: 'requeue', step: done.step });
    const id = env.SLURM_JOB_ID ?? jobKey;
    const r = await runCommand('scontrol', ['requeue', id], { env: slurmEnv(env), timeoutMs: 60_000 });
    if (r.code !== 0) {
      const message = `scontrol requeue ${id} failed (${r.missing ? 'scontrol is not on the PATH' : r.stderr.trim() || `exit code ${r.code}`}); last/ is at step ${done.step}: resubmit with "seq2seq train --resume --executor slurm --out ${runDir}"`;
      console.error(`seq2seq: ${message}`);
      await event({ event: 'end', how: 'failed', step: done.step, message });
      return 1;
    }
    console.log(l10n.t('requeued at step {0}; the next attempt resumes from last/', done.step));
    return 0;
  }
  if (done.reason === 'cancelled') {
    await event({ event: 'end', how: 'cancelled', step: done.step });
    return 143;
  }
  const outcome: TaskOutcome = {
    reason: done.reason,
    steps: done.step,
    elapsedSeconds: done.elapsedSeconds,
    tokensPerSecond: meanTokensPerSecond(progress),
    valid: { bleu: done.bestBleu, perplexity: done.bestPerplexity },
  };
  if (record.evaluate) {
    try {
      const ev = await evaluateModel(runDir, path.join(runDir, 'test.tsv'), record.evaluate);
      outcome.test = { bleu: ev.result.bleu, perplexity: ev.result.perplexity, sentences: ev.result.sentences, beam: record.evaluate.beam, byLength: ev.byLength };
      console.log(l10n.t('test BLEU {0} · perplexity {1} · {2} sentences', ev.result.bleu.toFixed(2), ev.result.perplexity.toFixed(2), ev.result.sentences));
    } catch (e) {
      outcome.testError = describeError(e).message;
    }
  }
  await event({ event: 'end', how: 'done', step: done.step, outcome });
  return 0;
}

/** Entry point: `node dist/slurmTask.js <job folder>`. */
export async function main(argv: string[] = process.argv): Promise<void> {
  setUpCliL10n(path.join(__dirname, '..'), process.env);
  const folder = argv[2];
  if (!folder) {
    console.error('usage: node slurmTask.js <job folder>  (run by the batch script the lab submits to Slurm)');
    process.exit(2);
  }
  try {
    process.exitCode = await runTask(path.resolve(folder));
  } catch (e) {
    console.error(`seq2seq: ${describeError(e).message}`);
    process.exitCode = 1;
  }
  // Replica threads or timers must not keep a finished task (and its allocation) alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref();
}

if (require.main === module) void main();
