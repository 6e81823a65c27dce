/**
 * Extension entry point. Activation only registers commands and creates the
 * controller; nothing heavy (no TensorFlow.js: training runs in
 * dist/worker.js, and the config loader is imported on first use).
 */
import * as vscode from 'vscode';
import { createConfigFromData, trainModelCommand } from './trainCommand';
import { TrainingController } from './trainingController';

export function activate(context: vscode.ExtensionContext): void {
  const ctrl = new TrainingController(context);
  context.subscriptions.push(
    ctrl,
    vscode.commands.registerCommand('seq2seq.trainModel', (uri?: unknown) =>
      trainModelCommand(ctrl, context.extensionUri, uri instanceof vscode.Uri ? uri : undefined),
    ),
    vscode.commands.registerCommand('seq2seq.stopTraining', () => ctrl.stop()),
    vscode.commands.registerCommand('seq2seq.showTrainingPanel', () => ctrl.showPanel()),
    vscode.commands.registerCommand('seq2seq.createConfig', () => createConfigFromData(context.extensionUri)),
  );
}

export function deactivate(): void {
  // Nothing to do: context.subscriptions disposes the controller, which terminates a running worker.
}
