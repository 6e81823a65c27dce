/**
 * The Compare Runs view: one webview beside the editor that overlays the
 * curves of a set of runs and tables their hyper-parameters and scores
 * (webview/compare/, protocol src/protocol/compareRuns.ts). One panel,
 * reused and retitled for each comparison. While it is open it watches the
 * metrics.jsonl of the runs shown and sends a run again when its file
 * changes (a run training), at most every {@link UPDATE_DELAY_MS}; it also
 * polls them every {@link FILE_POLL_MS} (a Slurm task on another machine
 * writes them) and badges Slurm runs with their job's state.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RunStatus } from '../core/experiments/slurmJobs';
import { stateLabel } from '../shared/jobText';
import type { CompareRun, CompareToHost, HostToCompare } from '../protocol/compareRuns';
import { isCompareToHost } from '../protocol/validate';
import { readCompareRun } from './logic/compareData';
import { exportMetricsCsv, saveChartExport } from './exportCommands';
import { WebviewPage } from './webviewPage';

/** Delay between a change of a run's metrics.jsonl and the update sent to the view (coalesces bursts of lines), ms. */
export const UPDATE_DELAY_MS = 500;

export interface CompareRunsDeps {
  /** True while a worker of this window trains the run in `runDir`. */
  isTraining(runDir: string): boolean;
  /** Fires when a training run ends (its `running` flag changes). */
  onDidEndRun: vscode.Event<unknown>;
  /** Where the page set-up reports trouble (the Output channel). */
  log?(message: string): void;
  /** The Slurm state of a run submitted to Slurm (undefined for other runs). */
  jobStatus?(runDir: string): RunStatus | undefined;
  /** Fires when Slurm states change. */
  onDidChangeJobs?: vscode.Event<void>;
}

/** How often the metrics.jsonl of the runs shown are looked at (ms): writes from other machines (a Slurm task on a shared file system) raise no file-change event. */
export const FILE_POLL_MS = 2_000;

export class CompareRunsPanel implements vscode.Disposable {
  static readonly viewType = 'seq2seq.compareRuns';
  private page: WebviewPage<HostToCompare, CompareToHost> | undefined;
  private runs: CompareRun[] = [];
  private watchers: vscode.Disposable[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly endSub: vscode.Disposable;
  private poller: ReturnType<typeof setInterval> | undefined;
  /** Size and modification time of each shown run's metrics.jsonl when last looked at. */
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly deps: CompareRunsDeps,
  ) {
    const all = () => {
      for (const r of this.runs) this.schedule(r.runDir, 0);
    };
    this.endSub = vscode.Disposable.from(deps.onDidEndRun(all), ...(deps.onDidChangeJobs ? [deps.onDidChangeJobs(all)] : []));
  }

  /** Read a run for the view, with its Slurm job (state and badge) when it has one. */
  private read(runDir: string): Promise<CompareRun> {
    const job = this.deps.jobStatus?.(runDir);
    const running = this.deps.isTraining(runDir) || job?.state === 'running';
    return readCompareRun(runDir, running, job ? { jobId: job.jobId, state: job.state, text: vscode.l10n.t('Slurm {0} · {1}', job.jobId ?? '?', stateLabel(job.state)) } : undefined);
  }

  /** The run folders shown (absolute), in order; empty when the panel is closed. */
  get runDirs(): string[] {
    return this.page ? this.runs.map((r) => r.runDir) : [];
  }

  /**
   * Show exactly the runs in `runDirs` (absolute or relative to the process;
   * duplicates removed, order kept): opens the panel beside the editor or
   * reveals and retitles the open one.
   */
  async show(runDirs: readonly string[]): Promise<void> {
    const dirs = [...new Set(runDirs.map((d) => path.resolve(d)))];
    this.runs = await Promise.all(dirs.map((d) => this.read(d)));
    this.watch();
    const title = this.title();
    if (this.page) {
      this.page.title = title;
      this.page.reveal(false);
      this.page.post({ type: 'show', runs: this.runs });
      return;
    }
    this.page = new WebviewPage<HostToCompare, CompareToHost>(this.extensionUri, {
      viewType: CompareRunsPanel.viewType,
      title,
      script: 'compare.js',
      style: 'compare.css',
      documentTitle: vscode.l10n.t('Compare Runs'),
      preserveFocus: false,
      onReady: () => this.page?.post({ type: 'show', runs: this.runs }),
      validate: isCompareToHost,
      onMessage: (msg) => void this.onMessage(msg),
      onDispose: () => {
        this.page = undefined;
        this.unwatch();
      },
      log: this.deps.log,
    });
  }

  private title(): string {
    const names = this.runs.map((r) => r.name);
    const joined = names.join(', ');
    return joined.length <= 40 ? vscode.l10n.t('Compare: {0}', joined) : vscode.l10n.t('Compare {0} Runs', names.length);
  }

  private async onMessage(msg: CompareToHost): Promise<void> {
    switch (msg.type) {
      case 'exportChart':
        await saveChartExport(msg, this.runs[0]?.runDir);
        break;
      case 'exportCsv': {
        // Only a run the view shows (the message is data from a web page).
        const run = this.runs.find((r) => r.runDir === msg.runDir);
        if (run) await exportMetricsCsv(run.runDir, run.name);
        break;
      }
    }
  }

  /** Watch each run's metrics.jsonl and the run folder itself (deleted). */
  private watch(): void {
    this.unwatch();
    for (const run of this.runs) {
      const onChange = () => this.schedule(run.runDir, UPDATE_DELAY_MS);
      const file = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(run.runDir), 'metrics.jsonl'));
      const folder = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(path.dirname(run.runDir)), path.basename(run.runDir)),
        true,
        true,
        false,
      );
      this.watchers.push(file, file.onDidCreate(onChange), file.onDidChange(onChange), file.onDidDelete(onChange), folder, folder.onDidDelete(onChange));
    }
    // And by polling: the watchers do not see a file another machine appends to on a shared file system.
    this.seen.clear();
    this.poller = setInterval(() => void this.poll(), FILE_POLL_MS);
  }

  /** Re-read each shown run whose metrics.jsonl changed size or time since the last look. */
  private async poll(): Promise<void> {
    for (const run of this.runs) {
      const st = await fs.stat(path.join(run.runDir, 'metrics.jsonl')).catch(() => undefined);
      const key = st ? `${st.size}:${st.mtimeMs}` : '';
      const before = this.seen.get(run.runDir);
      this.seen.set(run.runDir, key);
      if (before !== undefined && before !== key) this.schedule(run.runDir, 0);
    }
  }

  private unwatch(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    for (const d of this.watchers.splice(0)) d.dispose();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Re-read the run in `runDir` after `delayMs` (one pending read per run) and send it if the view still shows it. */
  private schedule(runDir: string, delayMs: number): void {
    if (!this.page || this.timers.has(runDir)) return;
    this.timers.set(
      runDir,
      setTimeout(() => {
        this.timers.delete(runDir);
        void this.read(runDir).then((read) => {
          const i = this.runs.findIndex((r) => r.runDir === runDir);
          if (i < 0 || !this.page) return;
          // A folder deleted (or a file made unreadable) while shown: keep what was read before, with the note.
          const before = this.runs[i];
          const run = read.problem && read.events.length === 0 && before.events.length > 0 ? { ...before, running: false, problem: read.problem } : read;
          this.runs[i] = run;
          this.page.post({ type: 'run', run });
        });
      }, delayMs),
    );
  }

  dispose(): void {
    this.endSub.dispose();
    this.unwatch();
    this.page?.dispose();
    this.page = undefined;
  }
}
