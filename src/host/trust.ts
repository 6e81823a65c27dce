/**
 * Workspace Trust. The extension declares `capabilities.untrustedWorkspaces`
 * as `limited`: in Restricted Mode it lists runs and shows their recorded
 * metrics (plain data: run.json and metrics.jsonl, validated as they are
 * read), but what acts on the workspace's files — training from a workspace
 * config (it reads the data the config names and writes a run folder) and
 * loading a workspace checkpoint for Translate Selection — waits until the
 * user trusts the workspace, with a message saying why and a button that
 * opens VS Code's trust editor. The settings that choose where runs are
 * written and how the worker runs (`seq2seq.runsFolder`, `seq2seq.backend`,
 * `seq2seq.threads`), whether runs go to Slurm (`seq2seq.slurm.use`) and what
 * a Slurm job's batch script runs (`seq2seq.slurm.setup`,
 * `seq2seq.slurm.sbatchArgs`) are `restrictedConfigurations`: VS Code ignores
 * their workspace values until the workspace is trusted.
 */
import * as vscode from 'vscode';

/** How long an action waits for the user to grant trust before it gives up (ms). */
export const TRUST_WAIT_MS = 5 * 60_000;

/** What waits for trust, for the message. */
export type TrustedAction = 'train' | 'translate';

function reason(action: TrustedAction): string {
  return action === 'train'
    ? vscode.l10n.t('Seq2Seq: training reads the config and data of this workspace and writes a run folder into it, so it waits until you trust the workspace.')
    : vscode.l10n.t('Seq2Seq: Translate Selection loads a checkpoint from this workspace, so it waits until you trust the workspace.');
}

/**
 * Resolve true at once in a trusted workspace. Otherwise show why `action`
 * waits, with a "Manage Workspace Trust" button, and resolve true as soon as
 * the user grants trust; false when they close the message without opening
 * the trust editor, or after `timeoutMs`.
 * @param log where to note the wait (the Output channel)
 */
export function waitForTrust(action: TrustedAction, log?: (message: string) => void, timeoutMs = TRUST_WAIT_MS): Promise<boolean> {
  if (vscode.workspace.isTrusted) return Promise.resolve(true);
  const message = reason(action);
  log?.(message);
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const finish = (trusted: boolean) => {
      if (settled) return;
      settled = true;
      granted.dispose();
      clearTimeout(timer);
      if (trusted) log?.(vscode.l10n.t('Seq2Seq: the workspace is trusted now; continuing.'));
      resolve(trusted);
    };
    const granted = vscode.workspace.onDidGrantWorkspaceTrust(() => finish(true));
    const timer = setTimeout(() => finish(vscode.workspace.isTrusted), timeoutMs);
    const manage = vscode.l10n.t('Manage Workspace Trust');
    void vscode.window.showWarningMessage(message, manage).then((choice) => {
      if (choice === manage) void vscode.commands.executeCommand('workbench.trust.manage');
      else finish(vscode.workspace.isTrusted);
    });
  });
}
