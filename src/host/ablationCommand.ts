/**
 * "Seq2Seq: Run Ablation": pick a config, one of its settings and the values
 * to try, and a time budget per variant; train the variants one after another
 * in the worker through the TrainingController (the Training panel shows each),
 * write `ablation.json` and open the comparison of the runs. The variant
 * expansion, sequencing and summary are src/core/experiments/ablation.ts (shared with
 * `seq2seq ablate`); this module is the UI around it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  ablatableFields,
  ablationDirName,
  expandVariants,
  makeSummary,
  outcomeFromEvents,
  parseAblationSpec,
  parseSeedList,
  runVariants,
  valueAt,
  variantRunName,
  withBudget,
  writeAblationSummary,
  type AblatableField,
  type AblationSpec,
  type SeedGroup,
  type Variant,
  type VariantOutcome,
  type VariantResult,
} from '../core/experiments/ablation';
import type { Seq2SeqConfig } from '../core/config/config';
import { formatBleu } from '../shared/format';
import { chooseRunDir, configNameFromPath, sanitizeName, timestamp } from '../core/runs/runNaming';
import { ablationRuns, submittedSummary } from '../core/experiments/slurmAblation';
import type { SlurmOptions } from '../core/experiments/slurmScript';
import type { SlurmJobs } from './slurmJobs';
import { loadConfigModule, pickConfig, showConfigError } from './trainCommand';
import type { RunEnd, TrainingController } from './trainingController';
import { waitForTrust } from './trust';

/** The command another part of the extension registers to compare run folders (absolute paths). */
export const COMPARE_RUNS_COMMAND = 'seq2seq.compareRuns';

/**
 * Command handler. `uri` is set when invoked from the explorer / editor
 * context menu on a config file.
 */
export async function runAblationCommand(ctrl: TrainingController, jobs: SlurmJobs | undefined, uri?: vscode.Uri): Promise<void> {
  // On this machine one run trains at a time; as Slurm jobs the ablation may start beside it.
  if (ctrl.isTraining && !(jobs && (await slurmMayBeChosen(jobs)))) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('Seq2Seq: {0} is training. Stop it before starting an ablation.', ctrl.currentRun?.name ?? vscode.l10n.t('a run')),
    );
    return;
  }
  const configUri = uri ?? (await pickConfig(vscode.l10n.t('Seq2Seq: Run Ablation')));
  if (!configUri) return;
  if (!(await waitForTrust('train', (m) => ctrl.output.info(m)))) return;
  const openDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === configUri.toString());
  if (openDoc?.isDirty) await openDoc.save();
  const loader = loadConfigModule();
  let config: Seq2SeqConfig;
  try {
    config = (await loader.loadConfig(configUri.fsPath)).config;
  } catch (err) {
    await showConfigError(configUri, err);
    return;
  }

  const field = await pickField(config);
  if (!field) return;
  const spec = await pickValues(field, config, loader.validateConfigObject);
  if (!spec) return;
  const minutes = await pickMinutes(config);
  if (minutes === undefined) return;
  const seeds = await pickSeeds(config, spec);
  if (seeds === undefined) return;

  const base = withBudget(config, { maxMinutes: minutes });
  let variants: Variant[];
  try {
    variants = expandVariants(base, [spec], { validate: loader.validateConfigObject, seeds });
  } catch (err) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: cannot run the ablation: {0}', err instanceof Error ? err.message : String(err)));
    return;
  }
  const configPath = configUri.fsPath;
  const folder = vscode.workspace.getWorkspaceFolder(configUri)?.uri.fsPath ?? path.dirname(configPath);
  const runsFolder = vscode.workspace.getConfiguration('seq2seq', configUri).get<string>('runsFolder', 'runs');
  const runsDir = path.resolve(folder, runsFolder || 'runs');
  const name = sanitizeName(config.name ?? configNameFromPath(configPath));
  const started = new Date();
  const options = jobs?.options(configUri, config);
  const where = jobs && options ? await jobs.chooseWhere(vscode.l10n.t('Seq2Seq: Run Ablation'), variants.length, options) : 'local';
  if (!where) return;
  if (where === 'slurm') {
    await submitAblation(jobs!, options!, { variants, spec, base, name, runsDir, configPath, started, seeds });
    return;
  }
  if (ctrl.isTraining) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('Seq2Seq: {0} is training. Stop it before starting an ablation.', ctrl.currentRun?.name ?? vscode.l10n.t('a run')),
    );
    return;
  }

  let cancelled = false;
  const results = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Ablation {0}', spec.field), cancellable: true },
    async (progress, token) => {
      const sub = token.onCancellationRequested(() => {
        cancelled = true;
        void ctrl.stop();
      });
      try {
        return await runVariants(variants, (v, _i, runDirChosen) => trainVariant(ctrl, v, { name, runsDir, configPath, started, runDirChosen }), {
          stopRequested: () => cancelled,
          onVariant: (v, i, n) => {
            progress.report({ message: vscode.l10n.t('{0} of {1} ({2})…', i + 1, n, String(v.value ?? v.label)), increment: i === 0 ? 0 : 100 / n });
            ctrl.output.info(vscode.l10n.t('Ablation {0}: variant {1} of {2}: {3}', spec.field, i + 1, n, v.label));
          },
        });
      } finally {
        sub.dispose();
      }
    },
  );
  const summary = makeSummary({ name, baseConfig: configPath, specs: [spec], includeBase: false, budgetConfig: base, started, finished: new Date(), results, seeds });
  const file = await writeAblationSummary(path.join(runsDir, ablationDirName(name, timestamp(started))), summary);
  for (const r of results) ctrl.output.info(resultLine(r));
  for (const g of summary.groups ?? []) ctrl.output.info(groupLine(g));
  ctrl.output.info(vscode.l10n.t('Ablation summary: {0}', file));
  await openComparison(summary.runDirs, file, spec, results);
}

/** True when the "as Slurm jobs" choice can be offered (setting `always`, or `auto` with sbatch on the PATH). */
async function slurmMayBeChosen(jobs: SlurmJobs): Promise<boolean> {
  const use = vscode.workspace.getConfiguration('seq2seq.slurm').get<string>('use', 'auto');
  return use === 'always' || (use === 'auto' && (await jobs.available()));
}

/**
 * The variants as one Slurm job array: their run folders and ablation.json
 * written at once (every variant `submitted`, with its array task), then
 * Compare Runs opened on them at once: it draws each curve as its task
 * writes metrics.jsonl, and the Models view shows the tasks' states. The
 * job monitor (./slurmJobs.ts) fills in ablation.json when all have ended.
 */
async function submitAblation(
  jobs: SlurmJobs,
  options: SlurmOptions,
  a: { variants: Variant[]; spec: AblationSpec; base: Seq2SeqConfig; name: string; runsDir: string; configPath: string; started: Date; seeds: number[] },
): Promise<void> {
  const folder = path.join(a.runsDir, ablationDirName(a.name, timestamp(a.started)));
  const runs = ablationRuns({ ...a, evaluate: { beam: 1, batchSize: 64 } }, fs.existsSync);
  const submitted = await jobs.submit({ name: a.name, folder, runs, description: `VS Code: Run Ablation ${a.spec.text}` }, options);
  if (!submitted) return;
  const summary = submittedSummary({ ...a, specs: [a.spec], includeBase: false, testBeam: 1 }, submitted);
  await writeAblationSummary(folder, summary);
  if ((await vscode.commands.getCommands(true)).includes(COMPARE_RUNS_COMMAND)) await vscode.commands.executeCommand(COMPARE_RUNS_COMMAND, summary.runDirs);
  const max = options.maxParallel ? vscode.l10n.t(' (at most {0} at once)', options.maxParallel) : '';
  void vscode.window.showInformationMessage(
    vscode.l10n.t('Seq2Seq: ablation of {0} submitted to Slurm as job array {1}: {2} variants{3}. The Models view and Compare Runs follow them.', a.spec.field, submitted.jobId ?? '?', a.variants.length, max),
  );
}

/** Train one variant in the worker and wait until it ends. @throws Error with the failure's message when it failed */
async function trainVariant(ctrl: TrainingController, v: Variant, at: { name: string; runsDir: string; configPath: string; started: Date; runDirChosen: (runDir: string) => void }): Promise<VariantOutcome> {
  const runName = variantRunName(at.name, v);
  const runDir = chooseRunDir(at.runsDir, '.', runName, at.started, fs.existsSync);
  at.runDirChosen(runDir);
  const ended = new Promise<RunEnd>((resolve) => {
    const sub = ctrl.onDidEndRunWithOutcome((e) => {
      sub.dispose();
      resolve(e);
    });
  });
  // quiet: the ablation's own progress and closing notifications speak for its variants.
  ctrl.start({ run: { name: runName, runDir, configPath: at.configPath }, config: { ...v.config, name: runName }, quiet: true });
  const end = await ended;
  if (end.outcome.kind === 'failed') throw new Error(end.failure ?? end.outcome.message);
  const outcome = outcomeFromEvents(runDir, await ctrl.readRecordedEvents(runDir));
  if (!outcome) throw new Error(vscode.l10n.t('{0} ended without recording its end (the worker was terminated)', runName));
  return outcome;
}

/** The quick pick of the settings that can be ablated, each with its current value. */
async function pickField(config: Seq2SeqConfig): Promise<AblatableField | undefined> {
  const fields = ablatableFields();
  const items = fields.map((f) => ({
    label: f.field,
    description: vscode.l10n.t('now {0}', JSON.stringify(valueAt(config, f.field))),
    detail: f.values ? f.values.join(' · ') : f.allowed,
    field: f,
  }));
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Seq2Seq: Run Ablation (1/4)'),
    placeHolder: vscode.l10n.t('Which setting do the variants differ in?'),
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return pick?.field;
}

/**
 * The values to try: a multi-select of an enum's values (all but the current
 * one picked), else an input box checked against the schema as you type.
 */
async function pickValues(field: AblatableField, config: Seq2SeqConfig, validate: (obj: unknown, source: string) => Seq2SeqConfig): Promise<AblationSpec | undefined> {
  const current = valueAt(config, field.field);
  const title = vscode.l10n.t('Seq2Seq: Run Ablation (2/4): values of {0}', field.field);
  if (field.values) {
    const picks = await vscode.window.showQuickPick(
      field.values.map((v) => ({ label: v, picked: true, description: String(current) === v ? vscode.l10n.t('current') : undefined })),
      { title, canPickMany: true, placeHolder: vscode.l10n.t('Pick two or more values: one variant each') },
    );
    if (!picks?.length) return undefined;
    return parseAblationSpec(`${field.field}=${picks.map((p) => p.label).join(',')}`);
  }
  const check = (text: string): string | undefined => {
    try {
      expandVariants(config, [parseAblationSpec(`${field.field}=${text}`)], { validate });
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
  const text = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('Values separated by commas, one variant each ({0}; now {1})', field.allowed, JSON.stringify(current)),
    placeHolder: field.kind === 'boolean' ? 'true, false' : field.kind === 'integer' ? '1, 2, 4' : '0.1, 0.3',
    validateInput: (t) => (t.trim() === '' ? vscode.l10n.t('Enter at least one value') : check(t)),
  });
  if (text === undefined) return undefined;
  return parseAblationSpec(`${field.field}=${text}`);
}

/** The time budget of every variant in minutes (default: the config's train.maxMinutes); 0 = only the config's epochs bound it. */
async function pickMinutes(config: Seq2SeqConfig): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Seq2Seq: Run Ablation (3/4): time budget'),
    prompt: vscode.l10n.t('Training minutes of every variant (sets train.maxMinutes; 0 = no time limit, only train.epochs)'),
    value: String(config.train.maxMinutes),
    validateInput: (t) => {
      const n = Number(t);
      return t.trim() !== '' && Number.isFinite(n) && n >= 0 ? undefined : vscode.l10n.t('Enter a number of minutes ≥ 0');
    },
  });
  return text === undefined ? undefined : Number(text);
}

/**
 * How many times to train each variant: empty for once (with the config's
 * train.seed), or a list of seeds; checked as you type (distinct whole
 * numbers ≥ 0, not with an ablation of train.seed itself).
 * @returns the seeds ([] = once), undefined when the user cancelled
 */
async function pickSeeds(config: Seq2SeqConfig, spec: AblationSpec): Promise<number[] | undefined> {
  const parse = (t: string): number[] | string => {
    const r = parseSeedList(t);
    if ('notASeed' in r) return vscode.l10n.t('Enter seeds as whole numbers ≥ 0 separated by commas, e.g. 1, 2, 3 (or nothing)');
    if ('twice' in r) return vscode.l10n.t('seed {0} is given twice', r.twice);
    if (r.seeds.length > 0 && (spec.field === 'train.seed' || spec.field === 'data.splitSeed')) return vscode.l10n.t('The variants already differ in {0}: leave this empty', spec.field);
    return r.seeds;
  };
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Seq2Seq: Run Ablation (4/4): seeds'),
    prompt: vscode.l10n.t(
      'Train every variant once per seed (train.seed: initialisation, batch order, dropout; the same test pairs), e.g. 1, 2, 3: the summary gives each variant mean ± sd. Empty: once, with train.seed {0}',
      config.train.seed,
    ),
    placeHolder: '1, 2, 3',
    validateInput: (t) => {
      const r = parse(t);
      return typeof r === 'string' ? r : undefined;
    },
  });
  if (text === undefined) return undefined;
  const r = parse(text);
  return typeof r === 'string' ? undefined : r;
}

/** One line of the output channel per variant of an ablation over seeds: mean ± sd. */
function groupLine(g: SeedGroup): string {
  const pm = (m: { mean: number; sd: number; n: number }) => (m.n > 0 ? `${formatBleu(m.mean)} ± ${formatBleu(m.sd)}` : '–');
  return vscode.l10n.t('{0}: best valid BLEU {1} over seeds {2}', g.label, pm(g.validBleu), g.seeds.join(', '));
}

/** One line of the output channel per variant. */
function resultLine(r: VariantResult): string {
  switch (r.status) {
    case 'failed':
      return vscode.l10n.t('{0}: failed: {1}', r.label, r.error ?? '');
    case 'skipped':
      return vscode.l10n.t('{0}: skipped', r.label);
    default:
      return vscode.l10n.t('{0}: best valid BLEU {1}, {2} steps, {3} ({4})', r.label, formatBleu(r.valid?.bleu ?? NaN), r.steps ?? 0, r.runDir ?? '', r.status === 'stopped' ? vscode.l10n.t('stopped') : (r.reason ?? ''));
  }
}

/**
 * Open the runs for comparison with `seq2seq.compareRuns` when this build has
 * it; else open ablation.json and say so.
 */
async function openComparison(runDirs: string[], file: string, spec: AblationSpec, results: VariantResult[]): Promise<void> {
  const trained = results.filter((r) => r.status === 'finished' || r.status === 'stopped').length;
  if (runDirs.length > 0 && (await vscode.commands.getCommands(true)).includes(COMPARE_RUNS_COMMAND)) {
    await vscode.commands.executeCommand(COMPARE_RUNS_COMMAND, runDirs);
    void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: ablation of {0} done: {1} of {2} variants trained.', spec.field, trained, results.length));
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  const best = results.filter((r) => Number.isFinite(r.valid?.bleu)).map((r) => `${String(r.value ?? r.label)} ${formatBleu(r.valid!.bleu)}`);
  void vscode.window.showInformationMessage(
    vscode.l10n.t(
      'Seq2Seq: ablation of {0} done: {1} of {2} variants trained (best valid BLEU: {3}). Compare Runs is not available in this version: the summary ablation.json is open.',
      spec.field,
      trained,
      results.length,
      best.join(', ') || '–',
    ),
  );
}
