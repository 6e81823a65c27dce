/**
 * Extension entry point. Activation only registers commands and creates the
 * controller; nothing heavy (no TensorFlow.js: training runs in
 * dist/worker.js, and the config loader is imported on first use).
 */
import * as vscode from 'vscode';
import { createConfigFromData, trainModelCommand } from './trainCommand';
import { TrainingController } from './trainingController';
import { AttentionView } from './attentionView';
import { ModelsService } from './models';
import { registerModelsTree } from './modelsTree';
import { TranslateController } from './translateCommand';

export function activate(context: vscode.ExtensionContext): void {
  const ctrl = new TrainingController(context);
  context.subscriptions.push(
    ctrl,
    vscode.commands.registerCommand('seq2seq.trainModel', (uri?: unknown) =>
      trainModelCommand(ctrl, uri instanceof vscode.Uri ? uri : undefined),
    ),
    vscode.commands.registerCommand('seq2seq.stopTraining', () => ctrl.stop()),
    vscode.commands.registerCommand('seq2seq.showTrainingPanel', () => ctrl.showPanel()),
    vscode.commands.registerCommand('seq2seq.createConfig', () => createConfigFromData()),
  );
  // Translate Selection, the attention view and the Models tree (the inference worker starts on first use).
  const models = new ModelsService(context);
  const attention = new AttentionView(context.extensionUri);
  const translator = new TranslateController(context, models, attention, ctrl.output);
  context.subscriptions.push(
    models,
    attention,
    translator,
    vscode.commands.registerCommand('seq2seq.translateSelection', () => translator.translateSelection()),
    vscode.commands.registerCommand('seq2seq.showAttention', () => attention.show(false)),
    ...registerModelsTree(context, models, ctrl),
  );
}

export function deactivate(): void {
  // Nothing to do: context.subscriptions disposes the controller, which terminates a running worker.
}
