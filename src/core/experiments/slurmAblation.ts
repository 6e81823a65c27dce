/**
 * An ablation run as a Slurm job array: its `ablation.json` is written at
 * submission (every variant `submitted`, with its run folder and array
 * task), and filled in from the run folders once every task has ended —
 * how each variant ended and its test figures, which each task records in
 * its `end` event (src/cli/slurmTask.ts). `seq2seq jobs status` and VS Code's
 * job monitor call {@link collectAblation}; it is idempotent. No `vscode` import.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Seq2SeqConfig } from '../config/config';
import { chooseRunDir } from '../runs/runNaming';
import { makeSummary, seedGroups, variantRunName, type AblationSpec, type AblationSummary, type Variant, type VariantResult } from './ablation';
import type { RunSpec, SubmittedJob } from './executor';
import { isActive } from './slurmOutput';
import { writeJsonAtomic, type RunStatus } from './slurmJobs';

/**
 * The runs of an ablation's job array: each variant's config (named
 * `<name>-<variant id>`) into its own run folder under `runsDir`
 * (`chooseRunDir`, distinct even within one second), evaluated on its test
 * pairs after training with `evaluate`.
 */
export function ablationRuns(
  a: { name: string; variants: readonly Variant[]; runsDir: string; started: Date; configPath: string; evaluate: { beam: number; batchSize: number } },
  exists: (p: string) => boolean,
): RunSpec[] {
  const taken = new Set<string>();
  return a.variants.map((v) => {
    const runName = variantRunName(a.name, v);
    const runDir = chooseRunDir(a.runsDir, '.', runName, a.started, (p) => taken.has(p) || exists(p));
    taken.add(runDir);
    return { runDir, config: { ...v.config, name: runName }, configPath: a.configPath, label: v.label, evaluate: a.evaluate };
  });
}

/** The ablation.json of a job array just submitted: every variant `submitted`, with its run folder and array task, and the array's job id. */
export function submittedSummary(
  a: { name: string; variants: readonly Variant[]; specs: readonly AblationSpec[]; includeBase: boolean; base: Seq2SeqConfig; configPath: string; testBeam: number; started: Date; seeds?: readonly number[] },
  submitted: SubmittedJob,
  now = new Date(),
): AblationSummary {
  const results: VariantResult[] = a.variants.map((v, i) => ({
    id: v.id,
    label: v.label,
    ...(v.field !== undefined ? { field: v.field, value: v.value } : {}),
    ...(v.seed !== undefined ? { seed: v.seed } : {}),
    status: 'submitted',
    runDir: submitted.runs[i]!.runDir,
    ...(submitted.runs[i]!.jobId ? { jobId: submitted.runs[i]!.jobId } : {}),
  }));
  return {
    ...makeSummary({ name: a.name, baseConfig: a.configPath, specs: a.specs, includeBase: a.includeBase, budgetConfig: a.base, testBeam: a.testBeam, started: a.started, finished: a.started, results, seeds: a.seeds }),
    slurm: { jobId: submitted.jobId ?? '', ...(submitted.cluster ? { cluster: submitted.cluster } : {}), submitted: now.toISOString() },
  };
}

/** The ablation summary in `dir` (its ablation.json); undefined when there is none. */
export async function readAblationSummary(dir: string): Promise<AblationSummary | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'ablation.json'), 'utf8')) as AblationSummary;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path.join(dir, 'ablation.json')}: ${(e as Error).message}`);
  }
}

/**
 * A variant's line of the summary from its run's status: done → finished
 * (with the outcome its task recorded), cancelled → stopped, failed and
 * timed out → failed (with `error`); unchanged while it is queued or running.
 * @param describe the status note in words (the caller's language)
 */
export function variantFromStatus(v: VariantResult, s: RunStatus, describe: (s: RunStatus) => string): VariantResult {
  if (isActive(s.state)) return v;
  const o = s.outcome;
  const outcome = o
    ? {
        reason: o.reason,
        steps: o.steps,
        elapsedSeconds: o.elapsedSeconds,
        tokensPerSecond: o.tokensPerSecond,
        valid: o.valid,
        ...(o.test ? { test: o.test } : {}),
        ...(o.testError ? { testError: o.testError } : {}),
      }
    : { steps: s.step };
  const { error: _e, ...rest } = v;
  if (s.state === 'done') return { ...rest, ...outcome, status: 'finished' };
  if (s.state === 'cancelled') return { ...rest, ...outcome, status: 'stopped' };
  return { ...rest, ...outcome, status: 'failed', error: describe(s) };
}

/**
 * Fill in the `submitted` variants of the ablation in `dir` from the
 * statuses of their runs, and its `finished` time once none is queued or
 * running; rewrites ablation.json when something changed.
 * @param statuses the statuses of (at least) the ablation's run folders
 * @returns the summary (as written), and whether every variant has ended
 */
export async function collectAblation(dir: string, statuses: readonly RunStatus[], describe: (s: RunStatus) => string, now = new Date()): Promise<{ summary: AblationSummary; complete: boolean } | undefined> {
  const summary = await readAblationSummary(dir);
  if (!summary) return undefined;
  const byRun = new Map(statuses.map((s) => [path.resolve(s.run), s]));
  let changed = false;
  const variants = summary.variants.map((v) => {
    if (v.status !== 'submitted' || !v.runDir) return v;
    const s = byRun.get(path.resolve(v.runDir));
    if (!s) return v;
    const next = variantFromStatus(v, s, describe);
    if (next !== v) changed = true;
    return next;
  });
  const complete = variants.every((v) => v.status !== 'submitted');
  const next: AblationSummary = {
    ...summary,
    variants,
    ...(summary.seeds?.length ? { groups: seedGroups(variants) } : {}),
    ...(complete && changed ? { finished: now.toISOString() } : {}),
  };
  if (changed) await writeJsonAtomic(path.join(dir, 'ablation.json'), next);
  return { summary: next, complete };
}
