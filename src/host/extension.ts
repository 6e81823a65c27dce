/**
 * Extension entry point. Activation only registers commands and creates the
 * controller; nothing heavy (no TensorFlow.js: training runs in
 * dist/worker.js, and the config loader is imported on first use).
 */
import * as vscode from 'vscode';
import { createSampleWorkspace } from './sampleWorkspace';
import { createConfigFromData, trainModelCommand, workspaceFile } from './trainCommand';
import { TrainingController } from './trainingController';
import { AttentionView } from './attentionView';
import { ModelsService } from './models';
import { registerModelsTree } from './modelsTree';
import { TranslateController } from './translateCommand';
import { useBundle } from '../shared/l10n';

export function activate(context: vscode.ExtensionContext): void {
  // The host's plain modules (src/host/logic/, src/shared/) translate with the bundle VS Code loaded.
  useBundle(vscode.l10n.bundle);
  const ctrl = new TrainingController(context);
  context.subscriptions.push(
    ctrl,
    // A Uri from the explorer / editor menus; a workspace-relative path from the walkthrough's command links.
    vscode.commands.registerCommand('seq2seq.trainModel', async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? workspaceFile(arg) : undefined;
      if (typeof arg === 'string' && !uri) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: there is no {0} in the workspace. Run "Seq2Seq: Create Sample Workspace…" first.', arg));
        return;
      }
      await trainModelCommand(ctrl, uri);
    }),
    vscode.commands.registerCommand('seq2seq.stopTraining', () => ctrl.stop()),
    vscode.commands.registerCommand('seq2seq.showTrainingPanel', () => ctrl.showPanel()),
    vscode.commands.registerCommand('seq2seq.createConfig', () => createConfigFromData()),
    vscode.commands.registerCommand('seq2seq.createSampleWorkspace', () => createSampleWorkspace()),
  );
  // Translate Selection, the attention view and the Models tree (the inference worker starts on first use).
  const models = new ModelsService(context);
  const attention = new AttentionView(context.extensionUri, (message) => ctrl.output.warn(message));
  const translator = new TranslateController(context, models, attention, ctrl.output);
  context.subscriptions.push(
    models,
    attention,
    translator,
    vscode.commands.registerCommand('seq2seq.translateSelection', () => translator.translateSelection()),
    vscode.commands.registerCommand('seq2seq.translateSelectionNBest', () => translator.translateSelection({ nBest: true })),
    vscode.commands.registerCommand('seq2seq.showAttention', () => attention.show(false)),
    ...registerModelsTree(context, models, ctrl),
  );
}

export function deactivate(): void {
  // Nothing to do: context.subscriptions disposes the controller, which terminates a running worker.
}
