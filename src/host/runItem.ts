/**
 * One run in the Models view (`src/host/modelsTree.ts`): its label,
 * description, tooltip, icon and the `contextValue` its menus key on. Used
 * by the tree and by the commands that take a clicked item
 * (`src/host/compareCommands.ts`).
 */
import * as vscode from 'vscode';
import { runDescription, runTooltip, type RunEntry } from './logic/modelsList';

/**
 * A run item. `contextValue` is `seq2seq.run` or `seq2seq.run.active`, with
 * `.interrupted` appended for a run that can be resumed (menus use it).
 */
export class RunItem extends vscode.TreeItem {
  constructor(readonly run: RunEntry, active: boolean, training: boolean) {
    super(run.name, vscode.TreeItemCollapsibleState.None);
    this.id = run.runDir;
    const interrupted = !training && run.interrupted !== undefined;
    const tags = [...(active ? [vscode.l10n.t('● active')] : []), ...(training ? [vscode.l10n.t('training…')] : [])];
    this.description = [...tags, runDescription(run)].join(' · ');
    const md = new vscode.MarkdownString(runTooltip(run) + (active ? `\n\n*${vscode.l10n.t('Active model for Translate Selection.')}*` : ''));
    this.tooltip = md;
    this.resourceUri = vscode.Uri.file(run.runDir);
    this.contextValue = (active ? 'seq2seq.run.active' : 'seq2seq.run') + (interrupted ? '.interrupted' : '');
    this.iconPath = run.problem
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
      : training
        ? new vscode.ThemeIcon('sync~spin')
        : interrupted
          ? new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('problemsWarningIcon.foreground'))
        : active
          ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('charts.green'))
          : run.hasBest || run.hasLast
            ? new vscode.ThemeIcon('circle-large-outline')
            : new vscode.ThemeIcon('circle-slash');
    this.accessibilityInformation = { label: `${run.name}, ${this.description}` };
    // A click opens the run (its Training panel) and keeps the focus in the tree, as a single click in the
    // Explorer previews a file; the context menu has the rest.
    this.command = { command: 'seq2seq.models.openTrainingPanel', title: vscode.l10n.t('Open Training Panel'), arguments: [this, { preserveFocus: true }] };
  }
}
