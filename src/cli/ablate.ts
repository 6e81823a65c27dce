/**
 * `seq2seq ablate`: train variants of one config, each with one field
 * changed (`--set field=v1,v2,…`, repeatable), one after another with the
 * same budget; evaluate each best checkpoint on its run's held-out test pairs;
 * write `ablation.json` and print the comparison table (and, with
 * `--by-length-chart`, the chart of BLEU by source length of all variants).
 * The sequencing and the summary are src/core/experiments/ablation.ts, shared with VS Code.
 */
import { existsSync } from 'fs';
import * as path from 'path';
import * as l10n from '@vscode/l10n';
import {
  ablationDirName,
  expandVariants,
  makeSummary,
  meanTokensPerSecond,
  parseAblationSpec,
  runVariants,
  seedGroups,
  variantRunName,
  withBudget,
  writeAblationSummary,
  type AblationSummary,
  type VariantOutcome,
  type VariantResult,
} from '../core/experiments/ablation';
import { applyOverrides, loadConfig, validateConfigObject } from '../core/config/configLoader';
import { LocalExecutor } from '../core/experiments/executor';
import { describeError } from '../core/errors';
import type { ReadingEvent, TrainingEvent } from '../core/training/events';
import { chooseRunDir, configNameFromPath, sanitizeName, timestamp } from '../core/runs/runNaming';
import { evaluateModel } from './evalModel';
import { formatTable, writeLengthChart, type LengthRun } from './lengthReport';
import { slurmOptionsOf, submitAblation, type ExecutorFlags } from './slurmCli';

/** The options of `seq2seq ablate` (as commander parses them). */
export interface AblateOptions extends ExecutorFlags {
  config: string;
  set: string[];
  /** `key=value` overrides of the base config (as `train --set`). */
  baseSet?: string[];
  minutes?: number;
  steps?: number;
  includeBase?: boolean;
  runsDir?: string;
  name?: string;
  json?: boolean;
  byLengthChart?: string;
  beam: number;
  batchSize: number;
  /** `--seeds 1,2,3`: every variant once per `train.seed`, with the held-out pairs of the base's split. */
  seeds?: number[];
}

/** How `ablate` prints training events: main.ts's formatter and reading-line printer. */
export interface EventPrinting {
  formatEvent(e: TrainingEvent): string | undefined;
  readingPrinter(out: { isTTY?: boolean; write(s: string): unknown }): { show(e: ReadingEvent): void; end(): void };
  /** The package folder (holds dist/slurmTask.js, for `--executor slurm`). */
  packageRoot?: string;
}

const fixed = (v: number | undefined, digits: number) => (v !== undefined && Number.isFinite(v) ? v.toFixed(digits) : '—');

/** The translated status word of a variant. */
function statusText(r: VariantResult): string {
  switch (r.status) {
    case 'finished':
      return l10n.t('finished ({0})', r.reason ?? '');
    case 'stopped':
      return l10n.t('stopped');
    case 'failed':
      return l10n.t('failed');
    case 'skipped':
      return l10n.t('skipped');
    case 'submitted':
      return l10n.t('submitted');
  }
}

/**
 * The table printed at the end of `ablate`: one line per variant with test
 * BLEU and perplexity of its best checkpoint, steps trained, mean training
 * speed (target tokens/s), training minutes and how it ended; then one line
 * per failed variant or failed test evaluation with the reason; for an
 * ablation over seeds, then {@link formatSeedTable}.
 */
export function formatAblationTable(results: readonly VariantResult[], beam: number): string {
  const head = [
    l10n.t('variant'),
    beam > 1 ? l10n.t('test BLEU (beam {0})', beam) : l10n.t('test BLEU (greedy)'),
    l10n.t('test perplexity'),
    l10n.t('steps'),
    l10n.t('tokens/s'),
    l10n.t('minutes'),
    l10n.t('status'),
  ];
  const body = results.map((r) => [
    r.label,
    fixed(r.test?.bleu, 2),
    fixed(r.test?.perplexity, 2),
    r.steps !== undefined ? String(r.steps) : '—',
    r.tokensPerSecond !== undefined && Number.isFinite(r.tokensPerSecond) ? String(Math.round(r.tokensPerSecond)) : '—',
    fixed(r.elapsedSeconds !== undefined ? r.elapsedSeconds / 60 : undefined, 1),
    statusText(r),
  ]);
  const notes = results.flatMap((r) => [
    ...(r.error ? [l10n.t('{0} failed: {1}', r.label, r.error)] : []),
    ...(r.testError ? [l10n.t('{0}: no test evaluation: {1}', r.label, r.testError)] : []),
  ]);
  // An ablation over seeds: then each variant's mean ± sd over its seeds.
  const seeds = results.some((r) => r.seed !== undefined) ? ['', formatSeedTable(results, beam)] : [];
  return [formatTable(head, body), ...notes, ...seeds].join('\n');
}

/**
 * The table of an ablation with `--seeds`: one line per variant with the
 * mean ± sample standard deviation over its seeds of test BLEU, test
 * perplexity and best validation BLEU, and how many runs each figure is over.
 */
export function formatSeedTable(results: readonly VariantResult[], beam: number): string {
  const pm = (m: { mean: number; sd: number; n: number }, digits: number) => (m.n > 0 ? `${m.mean.toFixed(digits)} ± ${m.sd.toFixed(digits)}` : '—');
  const head = [
    l10n.t('variant'),
    l10n.t('seeds'),
    beam > 1 ? l10n.t('test BLEU (beam {0}), mean ± sd', beam) : l10n.t('test BLEU (greedy), mean ± sd'),
    l10n.t('test perplexity, mean ± sd'),
    l10n.t('valid BLEU, mean ± sd'),
    l10n.t('runs'),
  ];
  const body = seedGroups(results).map((g) => [g.label, g.seeds.join(','), pm(g.testBleu, 2), pm(g.testPerplexity, 2), pm(g.validBleu, 2), String(g.testBleu.n)]);
  return formatTable(head, body);
}

/**
 * Run the ablation. Everything is checked (config, fields, values, every
 * variant's config) before the first variant trains. Ctrl+C stops the
 * current variant after its step (its last/ checkpoint is written) and skips
 * the rest; a second Ctrl+C quits at once. Sets exit code 1 when a variant failed.
 * With `--executor slurm` the variants are submitted as one job array instead
 * (src/cli/slurmCli.ts) and nothing trains here.
 * @returns the summary written to ablation.json (undefined for a Slurm submission)
 */
export async function cmdAblate(opts: AblateOptions, printing: EventPrinting): Promise<AblationSummary | undefined> {
  const loaded = await loadConfig(opts.config);
  const specs = (opts.set ?? []).map((s) => parseAblationSpec(s));
  const baseConfig = opts.baseSet?.length ? applyOverrides(loaded.config, opts.baseSet) : loaded.config;
  const base = withBudget(baseConfig, { maxMinutes: opts.minutes, maxSteps: opts.steps });
  const variants = expandVariants(base, specs, { includeBase: opts.includeBase, validate: validateConfigObject, seeds: opts.seeds });
  const name = sanitizeName(opts.name ?? baseConfig.name ?? configNameFromPath(loaded.path));
  const runsDir = path.resolve(opts.runsDir ?? 'runs');
  const started = new Date();
  const stamp = timestamp(started);
  // With --json, stdout holds the summary only; the training log goes to stderr.
  const log = (s: string) => (opts.json ? process.stderr.write(s + '\n') : console.log(s));
  const out = opts.json ? process.stderr : process.stdout;
  const budget = base.train;
  log(
    l10n.t(
      'ablation of {0}: {1} variants, each with {2}',
      specs.map((s) => s.field).join(', ') + (opts.seeds?.length ? ' × ' + l10n.t('{0} seeds', opts.seeds.length) : ''),
      variants.length,
      budget.maxMinutes > 0 || budget.maxSteps > 0
        ? [budget.maxMinutes > 0 ? l10n.t('{0} minutes', budget.maxMinutes) : '', budget.maxSteps > 0 ? l10n.t('{0} steps', budget.maxSteps) : ''].filter(Boolean).join(l10n.t(' or '))
        : l10n.t('no time or step budget (train.epochs = {0})', budget.epochs),
    ),
  );

  // The split depends on the data settings and train.seed only.
  const dataFields = specs.filter((s) => s.field.startsWith('data.') || s.field === 'train.seed').map((s) => s.field);
  if (dataFields.length > 0) {
    log(l10n.t('note: variants of {0} read or split the data differently, so their test pairs differ too', dataFields.join(', ')));
  }

  slurmOptionsOf(opts, baseConfig.slurm); // refuses Slurm options without --executor slurm
  if (opts.executor === 'slurm') {
    await submitAblation({
      name,
      variants,
      specs,
      base,
      baseConfigPath: loaded.path,
      includeBase: opts.includeBase ?? false,
      runsDir,
      started,
      stamp,
      beam: opts.beam,
      batchSize: opts.batchSize,
      flags: opts,
      packageRoot: printing.packageRoot ?? path.join(__dirname, '..'),
      json: opts.json,
      seeds: opts.seeds,
    });
    return undefined;
  }

  let stopping = false;
  let current = '';
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    log('\n' + l10n.t('stopping {0} after this step and skipping the remaining variants (press Ctrl+C again to quit at once)…', current));
  };
  process.on('SIGINT', onSigint);
  let results: VariantResult[];
  try {
    results = await runVariants(
      variants,
      async (v, _i, runDirChosen): Promise<VariantOutcome> => {
        const runName = variantRunName(name, v);
        const runDir = chooseRunDir(runsDir, '.', runName, started, existsSync);
        runDirChosen(runDir);
        const events: TrainingEvent[] = [];
        const reading = printing.readingPrinter(out);
        let done;
        try {
          const local = new LocalExecutor({
            listener: () => (e) => {
              if (e.type === 'progress') events.push(e);
              if (e.type === 'reading') return reading.show(e);
              reading.end();
              const line = printing.formatEvent(e);
              if (line) log(line);
            },
            shouldStop: () => stopping,
          });
          const [run] = (await local.submit({ name: runName, folder: runDir, runs: [{ runDir, config: { ...v.config, name: runName }, configPath: loaded.path, label: v.label }] })).runs;
          if (run?.error !== undefined) throw run.error;
          done = run!.done!;
        } finally {
          reading.end();
        }
        const outcome: VariantOutcome = {
          runDir,
          reason: done.reason,
          steps: done.step,
          elapsedSeconds: done.elapsedSeconds,
          tokensPerSecond: meanTokensPerSecond(events),
          valid: { bleu: done.bestBleu, perplexity: done.bestPerplexity },
        };
        try {
          const ev = await evaluateModel(runDir, path.join(runDir, 'test.tsv'), { beam: opts.beam, batchSize: opts.batchSize });
          outcome.test = { bleu: ev.result.bleu, perplexity: ev.result.perplexity, sentences: ev.result.sentences, beam: opts.beam, byLength: ev.byLength };
          log(l10n.t('{0}: test BLEU {1} · perplexity {2} · {3} sentences', v.label, ev.result.bleu.toFixed(2), ev.result.perplexity.toFixed(2), ev.result.sentences));
        } catch (e) {
          outcome.testError = describeError(e).message;
        }
        return outcome;
      },
      {
        stopRequested: () => stopping,
        onVariant: (v, i, n) => {
          current = v.label;
          log('\n' + l10n.t('=== variant {0} of {1}: {2} ===', i + 1, n, v.label));
        },
        describeError: (e) => describeError(e).message,
      },
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
  const skipped = results.filter((r) => r.status === 'skipped').length;
  if (skipped > 0) log(l10n.t('stopped: {0} variants skipped', skipped));

  const summary = makeSummary({ name, baseConfig: loaded.path, specs, includeBase: opts.includeBase ?? false, budgetConfig: base, testBeam: opts.beam, started, finished: new Date(), results, seeds: opts.seeds });
  const file = await writeAblationSummary(path.join(runsDir, ablationDirName(name, stamp)), summary);
  if (opts.json) {
    console.log(JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  } else {
    console.log('\n' + formatAblationTable(results, opts.beam));
    const rel = path.relative(process.cwd(), file);
    console.log(l10n.t('summary written to {0}', rel.startsWith('..') || path.isAbsolute(rel) ? file : rel));
  }
  if (opts.byLengthChart) {
    const runs: LengthRun[] = results.flatMap((r) => (r.test?.byLength ? [{ name: r.label, rows: r.test.byLength as LengthRun['rows'] }] : []));
    if (runs.length > 0) {
      await writeLengthChart(opts.byLengthChart, runs);
      log(l10n.t('chart of BLEU by source length written to {0}', opts.byLengthChart));
    } else {
      log(l10n.t('no variant was evaluated on test: no chart written'));
    }
  }
  if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
  return summary;
}
