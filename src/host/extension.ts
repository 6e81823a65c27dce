/**
 * Extension entry point. Activation only registers commands and creates the
 * controller; nothing heavy (no TensorFlow.js: training runs in
 * dist/worker.js, and the config loader is imported on first use).
 */
import * as vscode from 'vscode';
import { createSampleWorkspace } from './sampleWorkspace';
import { createConfigFromData, trainModelCommand, workspaceFile } from './trainCommand';
import { TrainingController } from './trainingController';
import { runAblationCommand } from './ablationCommand';
import { AttentionView } from './attentionView';
import { ModelsService } from './models';
import { readRunEntry } from './logic/modelsList';
import { followSlurmRun, registerModelsTree, showTrainingPanel } from './modelsTree';
import { SlurmJobs } from './slurmJobs';
import { TranslateController } from './translateCommand';
import { TrainingPanel } from './trainingPanel';
import { useBundle } from '../shared/l10n';

export function activate(context: vscode.ExtensionContext): void {
  // The host's plain modules (src/host/logic/, src/shared/) translate with the bundle VS Code loaded.
  useBundle(vscode.l10n.bundle);
  const ctrl = new TrainingController(context);
  // The workspace's runs, and the Slurm jobs among them (found again from their run folders after a reload).
  const models = new ModelsService(context);
  const jobs = new SlurmJobs(context.extensionPath, ctrl.output, () => models.runsFolders());
  context.subscriptions.push(
    ctrl,
    jobs,
    // A Uri from the explorer / editor menus; a workspace-relative path from the walkthrough's command links.
    vscode.commands.registerCommand('seq2seq.trainModel', async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? workspaceFile(arg) : undefined;
      if (typeof arg === 'string' && !uri) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: there is no {0} in the workspace. Run "Seq2Seq: Create Sample Workspace…" first.', arg));
        return;
      }
      await trainModelCommand(ctrl, jobs, uri);
    }),
    vscode.commands.registerCommand('seq2seq.runAblation', (arg?: unknown) => runAblationCommand(ctrl, jobs, arg instanceof vscode.Uri ? arg : undefined)),
    vscode.commands.registerCommand('seq2seq.stopTraining', () => ctrl.stop()),
    vscode.commands.registerCommand('seq2seq.createConfig', () => createConfigFromData()),
    vscode.commands.registerCommand('seq2seq.createSampleWorkspace', () => createSampleWorkspace()),
  );
  // Translate Selection, the attention view and the Models tree (the inference worker starts on first use).
  const attention = new AttentionView(context.extensionUri, (message) => ctrl.output.warn(message));
  const translator = new TranslateController(context, models, attention, ctrl.output);
  context.subscriptions.push(
    models,
    attention,
    translator,
    vscode.commands.registerCommand('seq2seq.translateSelection', () => translator.translateSelection()),
    vscode.commands.registerCommand('seq2seq.translateSelectionNBest', () => translator.translateSelection({ nBest: true })),
    vscode.commands.registerCommand('seq2seq.showAttention', () => attention.show(false)),
    vscode.commands.registerCommand('seq2seq.showExposureBias', () => attention.showReferenceSection()),
    ...registerModelsTree(context, models, ctrl, jobs),
    vscode.commands.registerCommand('seq2seq.showTrainingPanel', () => showTrainingPanel(ctrl, models, jobs)),
  );
  // A run whose worker was killed (a window reload ends the extension host and its worker) is found after
  // activation (a few small reads, nothing heavy) and offered for resuming; a Training panel that was open
  // before the reload is restored by VS Code and shows it.
  const startupCheck = offerInterruptedRun(ctrl, models);
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(TrainingPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        await startupCheck;
        ctrl.restorePanel(panel);
        // No interrupted run: show the run the panel showed before (its state records the folder).
        const runDir = (state as { runDir?: unknown } | undefined)?.runDir;
        if (!ctrl.currentRun && typeof runDir === 'string') {
          const entry = await readRunEntry(runDir).catch(() => undefined);
          // A Slurm run still queued or running is followed again; any other shows its record.
          if (entry?.slurm && followSlurmRun(ctrl, jobs, entry)) return;
          if (entry) ctrl.showRecordedRun({ name: entry.name, runDir, configPath: entry.configPath ?? '' }, await ctrl.readRecordedEvents(runDir), entry.interrupted);
        }
      },
    }),
  );
}

/**
 * After activation: find the most recent interrupted run of the workspace (see
 * src/host/logic/interruptedRuns.ts), load its recorded events into the
 * Training panel's store and ask whether to resume it.
 */
async function offerInterruptedRun(ctrl: TrainingController, models: ModelsService): Promise<void> {
  try {
    const runs = await models.listRuns();
    const run = runs.find((r) => r.interrupted && r.config);
    if (!run?.interrupted || ctrl.isTraining) return;
    const info = run.interrupted;
    const runInfo = { name: run.name, runDir: run.runDir, configPath: run.configPath ?? '' };
    if (!ctrl.showInterruptedRun(runInfo, await ctrl.readRecordedEvents(run.runDir), info)) return;
    ctrl.output.info(vscode.l10n.t('{0} ({1}) stopped without finishing at step {2}; its last checkpoint is at step {3}.', run.name, run.runDir, info.step, info.checkpointStep));
    const resume = vscode.l10n.t('Resume');
    const showPanel = vscode.l10n.t('Show Panel');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Training of {0} was interrupted at step {1}. Resume?', run.name, info.step), resume, showPanel)
      .then((choice) => {
        // Resumed meanwhile (from the panel): just show it.
        const resumed = ctrl.isTraining && ctrl.currentRun?.runDir === runInfo.runDir;
        if (choice === showPanel || (choice === resume && resumed)) ctrl.showPanel();
        else if (choice === resume) void ctrl.resume(runInfo);
      });
  } catch (e) {
    ctrl.output.warn(vscode.l10n.t('Could not look for interrupted runs: {0}', e instanceof Error ? e.message : String(e)));
  }
}

export function deactivate(): void {
  // Nothing to do: context.subscriptions disposes the controller, which terminates a running worker.
}
