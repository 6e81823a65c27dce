/**
 * "Seq2Seq: Train Model": pick (or create) a config, validate it with the
 * config loader, choose a fresh run folder and start training.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Seq2SeqConfig } from '../core/config/config';
import { renderConfigTemplate, templateStem, type TemplateData } from './logic/configTemplate';
import { chooseRunDir, configNameFromPath, parseErrorLocation, uniqueFile } from '../core/runs/runNaming';
import type { SlurmJobs } from './slurmJobs';
import type { TrainingController } from './trainingController';
import { waitForTrust } from './trust';

/** Glob of config files offered by Train Model. */
export const CONFIG_GLOB = '{**/*.seq2seq.json,**/seq2seq.config.json,**/sample-data/*.config.json}';
const EXCLUDE_GLOB = '**/{node_modules,runs,dist,.git}/**';

type ConfigPick = vscode.QuickPickItem & { action: 'config'; uri: vscode.Uri } | vscode.QuickPickItem & { action: 'create' | 'browse' };

/**
 * Command handler. `uri` is set when invoked from the explorer / editor
 * context menu on a config file.
 */
export async function trainModelCommand(ctrl: TrainingController, jobs: SlurmJobs | undefined, uri?: vscode.Uri): Promise<void> {
  const configUri = uri ?? (await pickConfig());
  if (!configUri) return;
  await trainWithConfig(ctrl, configUri, jobs);
}

/** Before a run starts on this machine while another trains: ask to stop that one (it writes its last checkpoint). False: keep it, start nothing. */
async function stopCurrentRun(ctrl: TrainingController): Promise<boolean> {
  if (!ctrl.isTraining) return true;
  const stopAndStart = vscode.l10n.t('Stop and Start New');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('A training run ({0}) is in progress. Stop it and start a new one?', ctrl.currentRun?.name ?? vscode.l10n.t('unnamed')),
    { modal: true, detail: vscode.l10n.t('The current run writes its last checkpoint before it stops.') },
    stopAndStart,
  );
  if (choice !== stopAndStart) return false;
  await ctrl.stop();
  return true;
}

/**
 * The file `relative` (e.g. `dates.seq2seq.json`) in the first workspace
 * folder that has it; undefined when none has.
 */
export function workspaceFile(relative: string): vscode.Uri | undefined {
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(f.uri, relative);
    if (fs.existsSync(uri.fsPath)) return uri;
  }
  return undefined;
}

/**
 * Validate `configUri` and start training it (in an untrusted workspace:
 * once the user trusts it, see ./trust.ts) on this machine, or submit it as
 * a Slurm job when the user chooses so (./slurmJobs.ts). Shows config errors
 * with an "Open Config" button.
 */
export async function trainWithConfig(ctrl: TrainingController, configUri: vscode.Uri, jobs?: SlurmJobs): Promise<void> {
  if (!(await waitForTrust('train', (m) => ctrl.output.info(m)))) return;
  const configPath = configUri.fsPath;
  // Save unsaved edits first, so what trains is what the user sees.
  const openDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === configUri.toString());
  if (openDoc?.isDirty) await openDoc.save();

  let config: Seq2SeqConfig;
  try {
    config = (await loadConfigModule().loadConfig(configPath)).config;
  } catch (err) {
    await showConfigError(configUri, err);
    return;
  }
  const folder = vscode.workspace.getWorkspaceFolder(configUri)?.uri.fsPath ?? path.dirname(configPath);
  const runsFolder = vscode.workspace.getConfiguration('seq2seq', configUri).get<string>('runsFolder', 'runs');
  const name = config.name ?? configNameFromPath(configPath);
  const runDir = chooseRunDir(folder, runsFolder, name, new Date(), fs.existsSync);
  const options = jobs?.options(configUri, config);
  const where = jobs && options ? await jobs.chooseWhere(vscode.l10n.t('Seq2Seq: Train Model'), 1, options) : 'local';
  if (where === 'slurm' && jobs && options) {
    const submitted = await jobs.submit({ name, folder: runDir, runs: [{ runDir, config, configPath }], description: `VS Code: Train Model (${path.basename(configPath)})` }, options);
    if (submitted) {
      const panel = vscode.l10n.t('Show in Training Panel');
      void vscode.window
        .showInformationMessage(vscode.l10n.t('Seq2Seq: {0} submitted as Slurm job {1}. The Models view shows its state.', name, submitted.jobId ?? '?'), panel)
        .then((c) => {
          if (c === panel) void vscode.commands.executeCommand('seq2seq.models.openTrainingPanel', runDir);
        });
    }
    return;
  }
  if (where !== 'local' || !(await stopCurrentRun(ctrl))) return;
  ctrl.start({ run: { name, runDir, configPath }, config });
}

/**
 * The config loader (ajv + schema) is bundled separately as dist/configLoader.js
 * and required on first use, keeping extension activation fast. This module is
 * bundled into dist/extension.js, so `__dirname` is dist/.
 */
export function loadConfigModule(): typeof import('../core/config/configLoader') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, 'configLoader.js')) as typeof import('../core/config/configLoader');
}

/** An invalid config's message, with "Open Config" going to the file, line and column it names. */
export async function showConfigError(configUri: vscode.Uri, err: unknown): Promise<void> {
  const message = err instanceof Error ? err.message : String(err);
  // ConfigError (src/core/config/configLoader.ts) carries `file` and `problems[]` with 1-based line/column; else parse `file:line:col:`.
  const e = err as { file?: unknown; problems?: { line?: number; column?: number }[] };
  const problem = Array.isArray(e?.problems) ? e.problems.find((p) => typeof p.line === 'number') : undefined;
  const parsed = parseErrorLocation(message);
  const line = problem?.line ?? parsed?.line;
  const column = problem?.column ?? parsed?.column;
  const file = typeof e?.file === 'string' ? e.file : parsed?.file;
  const target = file && path.isAbsolute(file) ? vscode.Uri.file(file) : configUri;
  const open = vscode.l10n.t('Open Config');
  const choice = await vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: invalid config. {0}', message), open);
  if (choice !== open) return;
  const doc = await vscode.workspace.openTextDocument(target);
  const pos = new vscode.Position(Math.max(0, (line ?? 1) - 1), Math.max(0, (column ?? 1) - 1));
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
}

/** The quick pick of the workspace's configs (with "Create config from a data file…" and "Browse…"); `title` names the command. */
export async function pickConfig(title = vscode.l10n.t('Seq2Seq: Train Model')): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(CONFIG_GLOB, EXCLUDE_GLOB, 500);
  found.sort((a, b) => vscode.workspace.asRelativePath(a).localeCompare(vscode.workspace.asRelativePath(b)));
  const items: (ConfigPick | vscode.QuickPickItem)[] = found.map((uri) => ({
    action: 'config' as const,
    uri,
    label: `$(json) ${path.basename(uri.fsPath)}`,
    description: path.dirname(vscode.workspace.asRelativePath(uri)).replace(/^\.$/, ''),
  }));
  if (items.length) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push(
    {
      action: 'create',
      label: '$(add) ' + vscode.l10n.t('Create config from a data file…'),
      detail: vscode.l10n.t('A TSV of sentence pairs or two line-aligned files'),
    },
    { action: 'browse', label: '$(folder-opened) ' + vscode.l10n.t('Browse for a config file…') },
  );
  const pick = (await vscode.window.showQuickPick(items, {
    title,
    placeHolder: found.length
      ? vscode.l10n.t('Choose the run config to train')
      : vscode.l10n.t('No configs found in the workspace: create one from a data file'),
    matchOnDescription: true,
  })) as ConfigPick | undefined;
  if (!pick) return undefined;
  if (pick.action === 'config') return pick.uri;
  if (pick.action === 'browse') {
    const chosen = await vscode.window.showOpenDialog({
      title: vscode.l10n.t('Choose a Seq2Seq config'),
      canSelectMany: false,
      filters: { [vscode.l10n.t('Seq2Seq config')]: ['json'] },
    });
    return chosen?.[0];
  }
  await createConfigFromData();
  return undefined;
}

/**
 * Ask for a TSV (or two parallel files), write `<name>.seq2seq.json` from the
 * template next to the data (or in the workspace root when the data is
 * outside the workspace), open it and offer to start training.
 */
export async function createConfigFromData(): Promise<vscode.Uri | undefined> {
  const files = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Choose training data: one TSV of sentence pairs, or two line-aligned files (source and target)'),
    canSelectMany: true,
    openLabel: vscode.l10n.t('Use as Training Data'),
    filters: { [vscode.l10n.t('Sentence pairs')]: ['tsv', 'txt', 'csv'], [vscode.l10n.t('All files')]: ['*'] },
  });
  if (!files?.length) return undefined;
  let data: TemplateData;
  if (files.length === 1) {
    data = { kind: 'tsv', file: files[0].fsPath };
  } else if (files.length === 2) {
    const [a, b] = files.map((f) => f.fsPath);
    const ab = `${path.basename(a)} → ${path.basename(b)}`;
    const ba = `${path.basename(b)} → ${path.basename(a)}`;
    const dir = await vscode.window.showQuickPick([ab, ba], { title: vscode.l10n.t('Which way do you translate? (source → target)') });
    if (!dir) return undefined;
    data = dir === ab ? { kind: 'parallel', src: a, tgt: b } : { kind: 'parallel', src: b, tgt: a };
  } else {
    void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: choose one TSV file or two parallel files (got {0}).', files.length));
    return undefined;
  }
  const dataFile = data.kind === 'tsv' ? data.file : data.src;
  const wsFolder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dataFile)) ?? vscode.workspace.workspaceFolders?.[0];
  const inWorkspace = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dataFile)) !== undefined;
  const configDir = inWorkspace || !wsFolder ? path.dirname(dataFile) : wsFolder.uri.fsPath;
  const target = uniqueFile(configDir, templateStem(data), '.seq2seq.json', fs.existsSync);
  const uri = vscode.Uri.file(target);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(renderConfigTemplate(data, configDir), 'utf8'));
  await vscode.window.showTextDocument(uri);
  const train = vscode.l10n.t('Start Training');
  void vscode.window
    .showInformationMessage(vscode.l10n.t('Created {0}. Review the settings, then start training.', path.basename(target)), train)
    .then((c) => {
      if (c === train) void vscode.commands.executeCommand('seq2seq.trainModel', uri);
    });
  return uri;
}
