/**
 * The workspace's trained models: the runs under each workspace folder's
 * runs folder (setting `seq2seq.runsFolder`), and which one is active for
 * "Translate Selection" (remembered per workspace in `workspaceState`;
 * default: the most recent run with a `best/` checkpoint). Watches the runs
 * folders and fires {@link ModelsService.onDidChange} (debounced) when runs
 * appear, change or disappear.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { chooseActiveModel, listRuns, runsFolderPath, type RunEntry } from './logic/modelsList';

const ACTIVE_KEY = 'seq2seq.activeModel';

export class ModelsService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the list of runs or the active model may have changed. */
  readonly onDidChange = this.changed.event;
  private watchers: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.watch();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('seq2seq.runsFolder')) {
          this.watch();
          this.fire();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.watch();
        this.fire();
      }),
    );
  }

  /** Absolute runs folders, one per workspace folder (deduplicated). */
  runsFolders(): string[] {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const dirs = folders.map((f) =>
      runsFolderPath(f.uri.fsPath, vscode.workspace.getConfiguration('seq2seq', f.uri).get<string>('runsFolder', 'runs')),
    );
    return [...new Set(dirs)];
  }

  /** Every run in every runs folder, newest first. */
  async listRuns(): Promise<RunEntry[]> {
    const lists = await Promise.all(this.runsFolders().map((d) => listRuns(d)));
    return lists.flat().sort((a, b) => b.created - a.created || b.folder.localeCompare(a.folder));
  }

  /** The run folder the user chose with "Set Active" (may no longer exist). */
  get remembered(): string | undefined {
    return this.context.workspaceState.get<string>(ACTIVE_KEY);
  }

  /** The model to translate with (see {@link chooseActiveModel}); undefined when nothing is trained yet. */
  async activeModel(runs?: RunEntry[]): Promise<RunEntry | undefined> {
    return chooseActiveModel(runs ?? (await this.listRuns()), this.remembered);
  }

  /** Remember `runDir` as this workspace's active model (undefined: back to the default). */
  async setActive(runDir: string | undefined): Promise<void> {
    await this.context.workspaceState.update(ACTIVE_KEY, runDir ? path.resolve(runDir) : undefined);
    this.changed.fire();
  }

  /** Ask listeners to refresh soon (coalesces bursts, e.g. metrics.jsonl lines during training). */
  fire(delayMs = 400): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, delayMs);
  }

  private watch(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
    for (const dir of this.runsFolders()) {
      const pattern = new vscode.RelativePattern(vscode.Uri.file(dir), '**/{run.json,metrics.jsonl,weights.json}');
      const w = vscode.workspace.createFileSystemWatcher(pattern);
      const onAny = () => this.fire();
      this.watchers.push(w, w.onDidCreate(onAny), w.onDidChange(onAny), w.onDidDelete(onAny));
      // Deleting a whole run folder reports the folder, which the file pattern does not match.
      const folders = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*'), true, true, false);
      this.watchers.push(folders, folders.onDidDelete(onAny));
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of [...this.watchers.splice(0), ...this.disposables.splice(0)]) d.dispose();
    this.changed.dispose();
  }
}
