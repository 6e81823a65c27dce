/**
 * Commands of the comparison features: "Seq2Seq: Compare Runs" and
 * "Seq2Seq: Export Metrics as CSV", from the Command Palette and the Models
 * tree's context menu.
 *
 * `seq2seq.compareRuns` takes, in this order of precedence:
 * - `(runDirs: string[])`: absolute run folders (the contract other commands
 *   rely on, e.g. an ablation opening its runs): shows exactly those runs;
 * - `(clicked: RunItem, selected: RunItem[])` from the Models tree: the
 *   selected runs when the clicked one is among several selected, else a
 *   quick pick with the clicked run ticked;
 * - nothing (palette): a multi-select quick pick of the workspace's runs,
 *   the tree's selection ticked.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { CompareRunsPanel } from './compareRunsPanel';
import { exportMetricsCsv } from './exportCommands';
import { resolveCompareArgs } from './logic/compareArgs';
import { runDescription, type RunEntry } from './logic/modelsList';
import type { ModelsService } from './models';
import { RunItem } from './runItem';
import type { SlurmJobs } from './slurmJobs';
import type { TrainingController } from './trainingController';

type RunPick = vscode.QuickPickItem & { run: RunEntry };

function pickItem(run: RunEntry, picked: boolean): RunPick {
  return { label: run.name, description: run.folder, detail: runDescription(run), picked, run };
}

/** Register the two commands; `view` is the Models tree (its selection preselects in the quick picks); `jobs` gives Slurm runs' states. */
export function registerCompareCommands(
  extensionUri: vscode.Uri,
  models: ModelsService,
  ctrl: TrainingController,
  view: vscode.TreeView<RunItem>,
  jobs?: SlurmJobs,
): vscode.Disposable[] {
  const panel = new CompareRunsPanel(extensionUri, {
    isTraining: (runDir) => ctrl.isTraining && !!ctrl.currentRun && path.resolve(ctrl.currentRun.runDir) === path.resolve(runDir),
    onDidEndRun: ctrl.onDidEndRun,
    log: (message) => ctrl.output.warn(message),
    ...(jobs ? { jobStatus: (runDir: string) => jobs.status(runDir), onDidChangeJobs: jobs.onDidChange } : {}),
  });

  const compare = async (first?: unknown, second?: unknown) => {
    const args = resolveCompareArgs(first, second, (v): v is RunItem => v instanceof RunItem);
    if ('dirs' in args) return panel.show(args.dirs);
    const runs = await models.listRuns();
    if (runs.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: there are no runs to compare yet. Train a model first.'));
      return;
    }
    const preselect = new Set([...args.preselect, ...view.selection.map((s) => s.run.runDir)]);
    const chosen = await vscode.window.showQuickPick(
      runs.map((r) => pickItem(r, preselect.has(r.runDir))),
      { canPickMany: true, title: vscode.l10n.t('Seq2Seq: Compare Runs'), placeHolder: vscode.l10n.t('Tick the runs to compare'), matchOnDescription: true },
    );
    if (!chosen || chosen.length === 0) return;
    return panel.show(chosen.map((c) => c.run.runDir));
  };

  const exportCsv = async (arg?: unknown) => {
    let run: RunEntry | undefined;
    if (arg instanceof RunItem) run = arg.run;
    else if (typeof arg === 'string') {
      const dir = path.resolve(arg);
      run = (await models.listRuns()).find((r) => path.resolve(r.runDir) === dir);
      if (!run) return exportMetricsCsv(dir, path.basename(dir));
    } else {
      const runs = await models.listRuns();
      if (runs.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: there are no runs yet. Train a model first.'));
        return;
      }
      const selected = view.selection[0]?.run.runDir;
      const items = runs.map((r) => pickItem(r, false));
      const chosen = await vscode.window.showQuickPick(
        selected ? [...items.filter((i) => i.run.runDir === selected), ...items.filter((i) => i.run.runDir !== selected)] : items,
        { title: vscode.l10n.t('Seq2Seq: Export Metrics as CSV'), placeHolder: vscode.l10n.t('Run whose metrics to export') },
      );
      run = chosen?.run;
    }
    if (run) return exportMetricsCsv(run.runDir, run.name);
  };

  return [
    panel,
    vscode.commands.registerCommand('seq2seq.compareRuns', compare),
    vscode.commands.registerCommand('seq2seq.exportMetricsCsv', exportCsv),
  ];
}
