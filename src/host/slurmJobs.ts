/**
 * Slurm in VS Code (src/core/experiments/slurmExecutor.ts underneath):
 * whether `sbatch` is on the extension host's PATH, the "on this machine /
 * as Slurm jobs" choice of Train Model and Run Ablation (setting
 * `seq2seq.slurm.use`), the sbatch options from the `seq2seq.slurm.*`
 * settings under a config's `slurm` section, submitting with Slurm's own
 * message on refusal, and the job monitor the Models view, the Training
 * panel and Compare Runs read.
 *
 * The monitor finds Slurm runs from their folders (a `slurm.json` in a runs
 * folder), so a reloaded window finds them again. It reads the run folders
 * every {@link FOLDER_POLL_MS} while a job is queued or running and asks
 * Slurm (`squeue`) at most once per `seq2seq.slurm.pollSeconds`; nothing
 * waits on it. When every task of an ablation has ended it fills in the
 * ablation's `ablation.json` and says so.
 */
import { existsSync, promises as fs, statSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Seq2SeqConfig } from '../core/config/config';
import type { ExecutorJob, SubmittedJob } from '../core/experiments/executor';
import { collectAblation } from '../core/experiments/slurmAblation';
import { SlurmExecutor } from '../core/experiments/slurmExecutor';
import { readRunRecord, RUN_RECORD_FILE, type RunStatus } from '../core/experiments/slurmJobs';
import { isActive } from '../core/experiments/slurmOutput';
import type { SlurmOptions } from '../core/experiments/slurmScript';
import { describeError } from '../core/errors';
import { describeNote, stateLabel, statusLine } from '../shared/jobText';

/** How often the run folders of queued and running jobs are read (ms); Slurm itself at most every `seq2seq.slurm.pollSeconds`. */
export const FOLDER_POLL_MS = 5_000;
/** How often the runs folders are looked at for Slurm runs when none is queued or running (ms): jobs submitted from a terminal. */
const IDLE_POLL_MS = 30_000;

type Where = 'local' | 'slurm';

function settings() {
  return vscode.workspace.getConfiguration('seq2seq.slurm');
}

/** Slurm jobs for the extension: the choice, the submission and the monitor (see the module doc). */
export class SlurmJobs implements vscode.Disposable {
  private readonly statuses = new Map<string, RunStatus>();
  private readonly jobFolders = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a run's Slurm state changed (or a Slurm run appeared). */
  readonly onDidChange = this.changed.event;
  private monitor: SlurmExecutor;
  private sbatch: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionPath: string,
    private readonly output: vscode.LogOutputChannel,
    /** The absolute runs folders of the workspace (ModelsService.runsFolders). */
    private readonly runsFolders: () => string[],
  ) {
    this.monitor = this.executor();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('seq2seq.slurm')) return;
        this.monitor = this.executor();
        this.sbatch = undefined;
      }),
    );
    this.schedule(0);
  }

  private executor(options?: SlurmOptions): SlurmExecutor {
    const poll = Math.max(5, settings().get<number>('pollSeconds', 30));
    return new SlurmExecutor({ taskScript: path.join(this.extensionPath, 'dist', 'slurmTask.js'), minPollMs: poll * 1000, ...(options ? { options } : {}) });
  }

  /** True when `sbatch` runs on the extension host (asked once, and again after a settings change). */
  available(): Promise<boolean> {
    this.sbatch ??= this.monitor.available().catch(() => false);
    return this.sbatch;
  }

  /**
   * The sbatch options of a config: the `seq2seq.slurm.*` settings (of the
   * config's folder), with the config's `slurm` section over them (its
   * setup lines and sbatch options after the settings').
   */
  options(scope: vscode.Uri, config: Seq2SeqConfig): SlurmOptions {
    const s = vscode.workspace.getConfiguration('seq2seq.slurm', scope);
    const text = (key: string) => s.get<string>(key, '').trim() || undefined;
    const c = config.slurm ?? {};
    const o: SlurmOptions = {
      partition: c.partition ?? text('partition'),
      account: c.account ?? text('account'),
      time: c.time ?? text('time'),
      cpusPerTask: c.cpusPerTask ?? s.get<number>('cpusPerTask', 1),
      mem: c.mem ?? text('mem'),
      gres: c.gres ?? text('gres'),
      maxParallel: c.maxParallel ?? s.get<number>('maxParallel', 0),
      sbatchArgs: [...s.get<string[]>('sbatchArgs', []), ...(c.sbatchArgs ?? [])],
      setup: [...s.get<string[]>('setup', []), ...(c.setup ?? [])],
      signalSeconds: c.signalSeconds ?? s.get<number>('signalSeconds', 120),
    };
    for (const k of Object.keys(o) as (keyof SlurmOptions)[]) if (o[k] === undefined) delete o[k];
    return o;
  }

  /**
   * Where to train: `seq2seq.slurm.use` `never` → this machine, `always` →
   * Slurm; `auto` asks when sbatch is on the PATH (else this machine).
   * @param runs how many runs (an ablation's variants)
   * @returns undefined when the user dismissed the choice
   */
  async chooseWhere(title: string, runs: number, options: SlurmOptions): Promise<Where | undefined> {
    const use = settings().get<string>('use', 'auto');
    if (use === 'never') return 'local';
    if (use === 'always') return 'slurm';
    if (!(await this.available())) return 'local';
    const resources = [
      options.partition ? vscode.l10n.t('partition {0}', options.partition) : vscode.l10n.t('the default partition'),
      ...(options.time ? [vscode.l10n.t('time limit {0}', options.time)] : []),
      vscode.l10n.t('{0} CPU(s)', options.cpusPerTask ?? 1),
      ...(options.mem ? [options.mem] : []),
      ...(options.gres ? [options.gres] : []),
    ].join(' · ');
    const items: (vscode.QuickPickItem & { where: Where })[] = [
      {
        where: 'local',
        label: '$(vm) ' + vscode.l10n.t('On this machine'),
        detail: runs > 1 ? vscode.l10n.t('The variants train here, one after another, in the Training panel.') : vscode.l10n.t('Trains here, in the Training panel.'),
      },
      {
        where: 'slurm',
        label: '$(server-environment) ' + vscode.l10n.t('As Slurm jobs'),
        description: resources,
        detail:
          runs > 1
            ? options.maxParallel
              ? vscode.l10n.t('One job array: a task per variant, at most {0} at once. The Models view and Compare Runs follow them.', options.maxParallel)
              : vscode.l10n.t('One job array: a task per variant. The Models view and Compare Runs follow them.')
            : vscode.l10n.t('One sbatch job. The Models view and the Training panel follow it.'),
      },
    ];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Where should it train? (setting seq2seq.slurm.use)') });
    return pick?.where;
  }

  /**
   * Submit `job` with `options`, with a progress notification; the monitor
   * follows it from then on. Errors (sbatch missing, a value the script
   * cannot take, Slurm's refusal) are shown with Slurm's own words.
   * @returns the submitted job, or undefined when it failed
   */
  async submit(job: ExecutorJob, options: SlurmOptions): Promise<SubmittedJob | undefined> {
    try {
      const submitted = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Seq2Seq: submitting {0} to Slurm…', job.name) },
        () => this.executor(options).submit(job),
      );
      for (const w of submitted.warnings) {
        this.output.warn(w);
        void vscode.window.showWarningMessage(`Seq2Seq: ${vscode.l10n.t('warning: {0}', w)}`);
      }
      this.output.info(vscode.l10n.t('Submitted Slurm job {0} ({1}): {2}', submitted.jobId ?? '?', job.name, submitted.runs.map((r) => `${r.jobId} ${r.runDir}`).join(', ')));
      for (const r of submitted.runs) this.jobFolders.set(r.runDir, path.resolve(job.folder));
      this.schedule(0);
      return submitted;
    } catch (e) {
      const message = describeError(e).message;
      this.output.error(message);
      const settingsButton = vscode.l10n.t('Open Settings');
      void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: could not submit to Slurm: {0}', message), settingsButton).then((c) => {
        if (c === settingsButton) void vscode.commands.executeCommand('workbench.action.openSettings', 'seq2seq.slurm');
      });
      return undefined;
    }
  }

  /** The last known state of the Slurm run in `runDir` (undefined: not a Slurm run, or not read yet). */
  status(runDir: string): RunStatus | undefined {
    return this.statuses.get(path.resolve(runDir));
  }

  /** Read the Slurm runs again now (e.g. the Models view's Refresh). */
  refresh(): void {
    this.schedule(0);
  }

  /** Ask to cancel the run's job (modal), then `scancel` it; a running task writes last/ first. */
  async cancel(runDir: string, name: string): Promise<void> {
    const s = this.status(runDir);
    const cancel = vscode.l10n.t('Cancel Job');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Cancel the Slurm job of {0} ({1})?', name, s?.jobId ?? '?'),
      { modal: true, detail: vscode.l10n.t('A running task stops after its current step and writes its last checkpoint; "seq2seq train --resume" continues it later.') },
      cancel,
    );
    if (choice !== cancel) return;
    try {
      const [r] = await this.executor().cancel([runDir]);
      if (r?.sent) this.output.info(vscode.l10n.t('Cancelled Slurm job {0} ({1})', r.jobId ?? '?', runDir));
      else void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: {0} was not cancelled: {1}', name, r?.why ?? ''));
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: could not cancel the job of {0}: {1}', name, describeError(e).message));
    }
    this.schedule(0);
  }

  /** Open the run's job log in an editor: the error log of a failed task, else its output log. */
  async openLog(runDir: string, name: string): Promise<void> {
    const s = this.status(runDir) ?? (await this.monitor.state([runDir]))[0];
    const logs = s?.logs;
    if (!logs) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: {0} has no Slurm log.', name));
      return;
    }
    const failed = s!.state === 'failed' || s!.state === 'timed out';
    const written = (f: string) => existsSync(f) && statSync(f).size > 0;
    const file = failed && written(logs.err) ? logs.err : existsSync(logs.out) ? logs.out : existsSync(logs.err) ? logs.err : undefined;
    if (!file) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Seq2Seq: the log of {0} is not written yet ({1}): {2}', name, stateLabel(s!.state), logs.out));
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  }

  // ---- the monitor ----

  private schedule(delayMs: number): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // One read at a time; a request during a read runs after it.
      this.running = (this.running ?? Promise.resolve()).then(() => this.tick()).catch((e) => this.output.warn(vscode.l10n.t('Slurm job monitor: {0}', describeError(e).message)));
    }, delayMs);
  }

  /** The Slurm run folders of the runs folders (a slurm.json), and those submitted from this window elsewhere. */
  private async slurmRunDirs(): Promise<string[]> {
    const found = new Set<string>(this.jobFolders.keys());
    for (const dir of this.runsFolders()) {
      const names = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const n of names) if (n.isDirectory() && existsSync(path.join(dir, n.name, RUN_RECORD_FILE))) found.add(path.join(dir, n.name));
    }
    return [...found];
  }

  private async tick(): Promise<void> {
    const dirs = await this.slurmRunDirs();
    const next = dirs.length ? await this.monitor.state(dirs) : [];
    let changed = dirs.length !== this.statuses.size;
    const seen = new Set<string>();
    for (const s of next) {
      seen.add(s.run);
      const before = this.statuses.get(s.run);
      if (JSON.stringify(before) !== JSON.stringify(s)) changed = true;
      this.statuses.set(s.run, s);
      if (before && isActive(before.state) && (s.state === 'failed' || s.state === 'timed out')) this.reportFailure(s);
    }
    for (const k of [...this.statuses.keys()]) if (!seen.has(k)) this.statuses.delete(k);
    await this.collectAblations(next);
    if (changed) this.changed.fire();
    this.schedule(next.some((s) => isActive(s.state)) ? FOLDER_POLL_MS : IDLE_POLL_MS);
  }

  /** Fill in the ablation.json of every ablation whose tasks have all ended (once; collectAblation is idempotent). */
  private async collectAblations(statuses: readonly RunStatus[]): Promise<void> {
    const byFolder = new Map<string, RunStatus[]>();
    for (const s of statuses) {
      let folder = this.jobFolders.get(s.run);
      if (!folder) {
        folder = (await readRunRecord(s.run).catch(() => undefined))?.jobFolder;
        if (folder) this.jobFolders.set(s.run, folder);
      }
      if (folder && folder !== s.run) byFolder.set(folder, [...(byFolder.get(folder) ?? []), s]);
    }
    for (const [folder, runs] of byFolder) {
      if (runs.some((s) => isActive(s.state)) || !existsSync(path.join(folder, 'ablation.json'))) continue;
      const before = await fs.readFile(path.join(folder, 'ablation.json'), 'utf8').catch(() => '');
      const c = await collectAblation(folder, runs, (s) => describeNote(s.note, s.logs) ?? stateLabel(s.state)).catch(() => undefined);
      if (!c?.complete || !before.includes('"submitted"')) continue;
      const finished = c.summary.variants.filter((v) => v.status === 'finished').length;
      const compare = vscode.l10n.t('Compare Runs');
      this.output.info(vscode.l10n.t('Ablation {0} on Slurm done: {1} of {2} variants finished ({3})', c.summary.fields.join(', '), finished, c.summary.variants.length, path.join(folder, 'ablation.json')));
      void vscode.window
        .showInformationMessage(vscode.l10n.t('Seq2Seq: ablation of {0} on Slurm done: {1} of {2} variants finished.', c.summary.fields.join(', '), finished, c.summary.variants.length), compare)
        .then((choice) => {
          if (choice === compare) void vscode.commands.executeCommand('seq2seq.compareRuns', c.summary.runDirs);
        });
    }
  }

  private reportFailure(s: RunStatus): void {
    const name = path.basename(s.run);
    this.output.error(`${name}: ${statusLine(s)}`);
    if (s.errTail) this.output.error(s.errTail);
    const openLog = vscode.l10n.t('Open Log');
    void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: the Slurm job of {0} {1}: {2}', name, stateLabel(s.state), describeNote(s.note, s.logs) ?? ''), openLog).then((c) => {
      if (c === openLog) void this.openLog(s.run, name);
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.changed.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
