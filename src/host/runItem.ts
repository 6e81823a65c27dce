/**
 * One run in the Models view (`src/host/modelsTree.ts`): its label,
 * description, tooltip, icon and the `contextValue` its menus key on. Used
 * by the tree and by the commands that take a clicked item
 * (`src/host/compareCommands.ts`).
 */
import * as vscode from 'vscode';
import type { RunStatus } from '../core/experiments/slurmJobs';
import { isActive } from '../core/experiments/slurmOutput';
import { describeNote, stateLabel } from '../shared/jobText';
import { runDescription, runTooltip, type RunEntry } from './logic/modelsList';

/** The icon of a Slurm run that is not simply done. */
function jobIcon(job: RunStatus): vscode.ThemeIcon | undefined {
  switch (job.state) {
    case 'queued':
      return new vscode.ThemeIcon('clock');
    case 'running':
      return new vscode.ThemeIcon('sync~spin');
    case 'failed':
    case 'timed out':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash');
    default:
      return undefined;
  }
}

/**
 * A run item. `contextValue` is `seq2seq.run` or `seq2seq.run.active`, with
 * `.interrupted` appended for a run that can be resumed, and `.slurmActive`
 * (queued or running: Cancel) or `.slurm` for a run submitted to Slurm
 * (menus use them).
 * @param job the run's Slurm state (from the job monitor), for a Slurm run
 */
export class RunItem extends vscode.TreeItem {
  constructor(readonly run: RunEntry, active: boolean, training: boolean, readonly job?: RunStatus) {
    super(run.name, vscode.TreeItemCollapsibleState.None);
    this.id = run.runDir;
    const interrupted = !training && run.interrupted !== undefined;
    const jobActive = job !== undefined && isActive(job.state);
    const jobTag = job ? [vscode.l10n.t('Slurm: {0}', stateLabel(job.state)) + (job.step > 0 ? ` ${vscode.l10n.t('step {0}', job.step)}` : '') + (job.jobId ? ` (${job.jobId})` : '')] : [];
    const tags = [...(active ? [vscode.l10n.t('● active')] : []), ...(training ? [vscode.l10n.t('training…')] : []), ...jobTag];
    this.description = [...tags, runDescription(run)].join(' · ');
    const note = job ? describeNote(job.note, job.logs) : undefined;
    const jobLines = job
      ? `\n\n**${vscode.l10n.t('Slurm job {0}: {1}', job.jobId ?? '?', stateLabel(job.state))}**` + (note ? `\n\n${note}` : '') + (job.logs ? `\n\n${vscode.l10n.t('Log: {0}', job.logs.out)}` : '')
      : '';
    const md = new vscode.MarkdownString(runTooltip(run) + jobLines + (active ? `\n\n*${vscode.l10n.t('Active model for Translate Selection.')}*` : ''));
    this.tooltip = md;
    this.resourceUri = vscode.Uri.file(run.runDir);
    this.contextValue = (active ? 'seq2seq.run.active' : 'seq2seq.run') + (interrupted ? '.interrupted' : '') + (job ? (jobActive ? '.slurmActive' : '.slurm') : '');
    const slurmIcon = job && !run.problem ? jobIcon(job) : undefined;
    this.iconPath = run.problem
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
      : slurmIcon
        ? slurmIcon
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
