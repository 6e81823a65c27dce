/**
 * Status bar item for the training run: live step / loss / throughput while
 * training (click shows the Training panel), then the result for a short
 * while after the run ends.
 */
import * as vscode from 'vscode';
import type { ProgressEvent } from '../core/training/events';
import { progressTooltip, statusText, type StatusPhase } from '../shared/format';

/** How long the result of a finished run stays in the status bar. */
const RESULT_VISIBLE_MS = 30_000;

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private hideTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('seq2seq.training', vscode.StatusBarAlignment.Left, 10);
    this.item.name = vscode.l10n.t('Seq2Seq Training');
    this.item.command = 'seq2seq.showTrainingPanel';
  }

  /** Show `phase`; `done` and `failed` hide themselves after a while. */
  show(phase: StatusPhase, tooltip?: string): void {
    if (this.hideTimer) clearTimeout(this.hideTimer);
    this.hideTimer = undefined;
    this.item.text = statusText(phase);
    this.item.tooltip = tooltip ?? vscode.l10n.t('Show the Seq2Seq training panel');
    this.item.backgroundColor =
      phase.phase === 'failed'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : phase.phase === 'interrupted'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.show();
    if (phase.phase === 'done' || phase.phase === 'failed') {
      this.hideTimer = setTimeout(() => this.item.hide(), RESULT_VISIBLE_MS);
    }
  }

  hide(): void {
    if (this.hideTimer) clearTimeout(this.hideTimer);
    this.hideTimer = undefined;
    this.item.hide();
  }

  /** Shortcut for a progress event. */
  showProgress(p: ProgressEvent): void {
    this.show({ phase: 'training', progress: p }, progressTooltip(p));
  }

  dispose(): void {
    if (this.hideTimer) clearTimeout(this.hideTimer);
    this.item.dispose();
  }
}
