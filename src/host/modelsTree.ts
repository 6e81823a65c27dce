/**
 * The "Models" tree view (in the Seq2Seq view container): one item per run
 * under the runs folder(s), newest first, the active model marked; a click
 * opens the run in the Training panel; context actions Set Active, Open Training Panel (replays the run's
 * metrics.jsonl), Open Config, Reveal Folder and Delete, and, from
 * src/host/compareCommands.ts, Compare Runs (on a multi-selection) and
 * Export Metrics as CSV.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { configSummary, parseMetricsJsonl, readRunEntry, type RunEntry } from './logic/modelsList';
import { isActive } from '../core/experiments/slurmOutput';
import { describeNote } from '../shared/jobText';
import { registerCompareCommands } from './compareCommands';
import type { ModelsService } from './models';
import { RunItem } from './runItem';
import type { SlurmJobs } from './slurmJobs';
import type { TrainingController } from './trainingController';

export const MODELS_VIEW_ID = 'seq2seq.models';

/** Tree data for the Models view. */
export class ModelsTreeProvider implements vscode.TreeDataProvider<RunItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly models: ModelsService,
    private readonly ctrl: TrainingController,
    private readonly jobs?: SlurmJobs,
  ) {
    this.sub = vscode.Disposable.from(models.onDidChange(() => this.changed.fire()), ...(jobs ? [jobs.onDidChange(() => this.changed.fire())] : []));
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  async getChildren(parent?: RunItem): Promise<RunItem[]> {
    if (parent) return [];
    const runs = await this.models.listRuns();
    const active = await this.models.activeModel(runs);
    const training = this.ctrl.isTraining ? this.ctrl.currentRun?.runDir : undefined;
    void vscode.commands.executeCommand('setContext', 'seq2seq.hasRuns', runs.length > 0);
    return runs.map((r) => new RunItem(r, r.runDir === active?.runDir, training !== undefined && path.resolve(training) === path.resolve(r.runDir), this.jobs?.status(r.runDir)));
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

/**
 * Show `run` in the Training panel: the run in training as it goes, else the
 * run's recorded events (its metrics.jsonl). Says why when it cannot (no
 * metrics.jsonl; another run is training); a Slurm job still queued or
 * running is followed as its metrics.jsonl grows. Used by a click on a run in the
 * Models view, its context menu and *Seq2Seq: Show Training Panel*.
 * @returns true when the panel shows the run
 */
export async function openRunInTrainingPanel(ctrl: TrainingController, run: RunEntry, preserveFocus = false, jobs?: SlurmJobs): Promise<boolean> {
  if (run.slurm && jobs && followSlurmRun(ctrl, jobs, run)) return true;
  const current = ctrl.currentRun;
  if (ctrl.isTraining && current && path.resolve(current.runDir) === path.resolve(run.runDir)) {
    ctrl.showPanel(preserveFocus);
    return true;
  }
  let text: string;
  try {
    text = await fs.readFile(path.join(run.runDir, 'metrics.jsonl'), 'utf8');
  } catch {
    void vscode.window.showWarningMessage(vscode.l10n.t('Seq2Seq: {0} has no metrics.jsonl to show.', run.folder));
    return false;
  }
  const { events, badLines } = parseMetricsJsonl(text);
  const shown = ctrl.showRecordedRun({ name: run.name, runDir: run.runDir, configPath: run.configPath ?? '' }, events, run.interrupted, preserveFocus);
  if (!shown) {
    const showPanel = vscode.l10n.t('Show Panel');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Seq2Seq: the Training panel is showing the run in progress; open this run again when it has finished.'), showPanel)
      .then((c) => {
        if (c === showPanel) ctrl.showPanel();
      });
  } else if (badLines.length) {
    const lines = badLines.slice(0, 10).join(', ') + (badLines.length > 10 ? ', …' : '');
    ctrl.output.warn(vscode.l10n.t('{0}/metrics.jsonl: skipped unreadable lines {1}', run.runDir, lines));
  }
  return shown;
}

/**
 * *Seq2Seq: Show Training Panel*: the run training or last shown; with
 * neither, the workspace's most recent recorded run (newest first, the first
 * with a readable metrics.jsonl); with no run at all, the empty panel, which
 * says how to start one.
 */
export async function showTrainingPanel(ctrl: TrainingController, models: ModelsService, jobs?: SlurmJobs): Promise<void> {
  if (ctrl.isTraining || ctrl.currentRun) {
    ctrl.showPanel();
    return;
  }
  const runs = await models.listRuns().catch(() => [] as RunEntry[]);
  for (const run of runs) {
    const ok = await fs.stat(path.join(run.runDir, 'metrics.jsonl')).then((s) => s.isFile(), () => false);
    if (ok && !ctrl.isTraining && !ctrl.currentRun && (await openRunInTrainingPanel(ctrl, run, false, jobs))) return;
  }
  ctrl.showPanel();
}

/** Resolve a command argument (tree item, a run folder's path, or none: the selected item) to a run. */
async function runOf(arg: unknown, view: vscode.TreeView<RunItem>): Promise<RunEntry | undefined> {
  if (arg instanceof RunItem) return arg.run;
  if (typeof arg === 'string') return readRunEntry(path.resolve(arg)).catch(() => undefined);
  return view.selection[0]?.run;
}

/** Create the tree view and register its commands. */
export function registerModelsTree(
  context: vscode.ExtensionContext,
  models: ModelsService,
  ctrl: TrainingController,
  jobs?: SlurmJobs,
): vscode.Disposable[] {
  const provider = new ModelsTreeProvider(models, ctrl, jobs);
  // canSelectMany: Compare Runs gets (clicked, selected[]) from a multi-selection.
  const view = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: false, canSelectMany: true });
  const withRun = (fn: (run: RunEntry) => unknown) => async (arg: unknown) => {
    const run = await runOf(arg, view);
    if (!run) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: select a run in the Models view first.'));
      return;
    }
    return fn(run);
  };
  return [
    provider,
    view,
    ...registerCompareCommands(context.extensionUri, models, ctrl, view, jobs),
    ctrl.onDidEndRun(() => models.fire(200)),
    vscode.commands.registerCommand('seq2seq.models.refresh', () => {
      provider.refresh();
      jobs?.refresh();
    }),
    vscode.commands.registerCommand(
      'seq2seq.models.cancelJob',
      withRun((run) => jobs?.cancel(run.runDir, run.name)),
    ),
    vscode.commands.registerCommand(
      'seq2seq.models.openJobLog',
      withRun((run) => jobs?.openLog(run.runDir, run.name)),
    ),
    vscode.commands.registerCommand(
      'seq2seq.models.setActive',
      withRun(async (run) => {
        if (run.problem || (!run.hasBest && !run.hasLast)) {
          void vscode.window.showWarningMessage(
            run.problem
              ? vscode.l10n.t('Seq2Seq: {0} cannot translate yet: {1}', run.name, run.problem)
              : vscode.l10n.t('Seq2Seq: {0} cannot translate yet: it has no checkpoint.', run.name),
          );
          return;
        }
        await models.setActive(run.runDir);
        vscode.window.setStatusBarMessage(vscode.l10n.t('Seq2Seq: active model is {0} ({1})', run.name, run.folder), 4000);
      }),
    ),
    // Also the command of a click on a run (RunItem.command), which passes { preserveFocus: true }: like a
    // single click in the Explorer, the focus stays in the tree. The context menu passes (item, selection[]).
    vscode.commands.registerCommand('seq2seq.models.openTrainingPanel', (arg: unknown, opts?: unknown) =>
      withRun((run) => openRunInTrainingPanel(ctrl, run, !!opts && !Array.isArray(opts) && (opts as { preserveFocus?: unknown }).preserveFocus === true, jobs))(arg),
    ),
    vscode.commands.registerCommand(
      'seq2seq.models.resume',
      withRun(async (run) => {
        if (await ctrl.resume({ name: run.name, runDir: run.runDir, configPath: run.configPath ?? '' })) models.fire(200);
      }),
    ),
    vscode.commands.registerCommand(
      'seq2seq.models.openConfig',
      withRun(async (run) => {
        const candidates = [run.configPath, path.join(run.runDir, 'run.json')].filter((p): p is string => !!p);
        for (const p of candidates) {
          const ok = await fs.stat(p).then(() => true, () => false);
          if (ok) {
            await vscode.window.showTextDocument(vscode.Uri.file(p));
            if (p !== run.configPath && run.configPath) {
              vscode.window.setStatusBarMessage(vscode.l10n.t("Seq2Seq: {0} no longer exists; showing the run's recorded config (run.json).", run.configPath), 6000);
            }
            return;
          }
        }
        void vscode.window.showWarningMessage(vscode.l10n.t('Seq2Seq: neither the config nor run.json of {0} exists.', run.folder));
      }),
    ),
    vscode.commands.registerCommand(
      'seq2seq.models.revealFolder',
      withRun((run) => vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(run.runDir))),
    ),
    vscode.commands.registerCommand(
      'seq2seq.models.delete',
      withRun(async (run) => {
        if (ctrl.isTraining && ctrl.currentRun && path.resolve(ctrl.currentRun.runDir) === path.resolve(run.runDir)) {
          void vscode.window.showWarningMessage(vscode.l10n.t('Seq2Seq: {0} is training; stop it before deleting its folder.', run.name));
          return;
        }
        const del = vscode.l10n.t('Delete');
        const choice = await vscode.window.showWarningMessage(
          vscode.l10n.t('Delete the run "{0}" ({1})?', run.name, run.folder),
          {
            modal: true,
            detail: `${run.config ? configSummary(run.config) + '\n' : ''}${vscode.l10n.t('The whole folder — checkpoints, metrics and run.json — is deleted.')}`,
          },
          del,
        );
        if (choice !== del) return;
        const uri = vscode.Uri.file(run.runDir);
        try {
          await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
        } catch {
          // No trash available (e.g. remote or headless): delete outright; the user already confirmed.
          await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
        }
        if (models.remembered && path.resolve(models.remembered) === path.resolve(run.runDir)) await models.setActive(undefined);
        models.fire(0);
      }),
    ),
  ];
}

/**
 * Open a Slurm run in the Training panel and follow its metrics.jsonl while
 * its job is queued or running (unknown yet: followed until the monitor
 * knows); Stop in the panel cancels the job. False when the run has ended
 * (the caller shows its record) or this window trains a run.
 */
export function followSlurmRun(ctrl: TrainingController, jobs: SlurmJobs, run: Pick<RunEntry, 'runDir' | 'name' | 'configPath'>): boolean {
  const known = jobs.status(run.runDir);
  if (known && !isActive(known.state)) return false;
  return ctrl.followRun(
    { name: run.name, runDir: run.runDir, configPath: run.configPath ?? '' },
    {
      isActive: () => {
        const s = jobs.status(run.runDir);
        return !s || isActive(s.state);
      },
      onStop: () => void jobs.cancel(run.runDir, run.name),
      job: () => {
        const s = jobs.status(run.runDir);
        return s && isActive(s.state) ? { queued: s.state === 'queued', note: describeNote(s.note, s.logs) } : undefined;
      },
    },
  );
}
