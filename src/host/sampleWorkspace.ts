/**
 * "Seq2Seq: Create Sample Workspace…" (the first step of the Get Started
 * walkthrough): writes the generated sample files of
 * `src/core/data/sampleData.ts` — data, ready configs with and without
 * attention, dates to translate — into the open workspace folder, or into a
 * folder the user picks, which is then opened. Never overwrites a file.
 */
import * as vscode from 'vscode';
import { writeSampleWorkspace } from '../core/data/sampleData';

/** The config the walkthrough trains first. */
export const SAMPLE_CONFIG = 'dates.seq2seq.json';

/**
 * Command handler.
 * @returns the folder the sample is in, or undefined when the user cancelled
 */
export async function createSampleWorkspace(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  let target: vscode.Uri | undefined;
  let openAfter = false;
  if (folders.length > 0) {
    const here = '$(root-folder) ' + vscode.l10n.t('Into this workspace ({0})', folders[0].name);
    const other = '$(folder-opened) ' + vscode.l10n.t('Into another folder, then open it…');
    const pick = await vscode.window.showQuickPick([here, other], {
      title: vscode.l10n.t('Seq2Seq: Create Sample Workspace'),
      placeHolder: vscode.l10n.t('Where should the sample data and configs go?'),
    });
    if (!pick) return undefined;
    if (pick === here) target = folders[0].uri;
    else openAfter = true;
  } else openAfter = true;
  if (!target) {
    const chosen = await vscode.window.showOpenDialog({
      title: vscode.l10n.t('Folder for the Seq2Seq sample workspace'),
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: vscode.l10n.t('Create Sample Here'),
    });
    if (!chosen?.length) return undefined;
    target = chosen[0];
  }
  const written = await writeSampleWorkspace(target.fsPath);
  if (openAfter) {
    await vscode.commands.executeCommand('vscode.openFolder', target, { forceNewWindow: false });
    return target;
  }
  await vscode.window.showTextDocument(vscode.Uri.joinPath(target, SAMPLE_CONFIG), { preview: false });
  void vscode.window.showInformationMessage(
    !written.created.length
      ? vscode.l10n.t('Seq2Seq: the sample files are already in this workspace.')
      : written.existing.length
        ? vscode.l10n.t('Seq2Seq: wrote {0} (kept your {1}).', written.created.join(', '), written.existing.join(', '))
        : vscode.l10n.t('Seq2Seq: wrote {0}.', written.created.join(', ')),
  );
  return target;
}
