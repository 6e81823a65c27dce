/**
 * Host ↔ Compare Runs view (webview) protocol. Imported by `src/host/` and
 * by `webview/compare/`. The host reads each selected run's run.json and
 * metrics.jsonl and sends them whole; while a run is training it sends that
 * run again as its metrics.jsonl grows. The page is not retained while
 * hidden: each time it loads it sends `ready` and the host sends `show`.
 */
import type { Seq2SeqConfig } from '../core/config/config';
import type { DoneEvent, ProgressEvent, RunStartedEvent, ValidationEvent } from '../core/training/events';
import type { ExportChartCommand } from './chartExport';

/** The events of metrics.jsonl the view uses (validation samples left out: the view does not show them). */
export type CompareEvent = RunStartedEvent | ProgressEvent | ValidationEvent | DoneEvent;

/** One run of the comparison. */
export interface CompareRun {
  /** Absolute run folder: identifies the run. */
  runDir: string;
  /** Display name (config name, else folder name). */
  name: string;
  /** Folder name (tells apart runs of the same config). */
  folder: string;
  /** One line describing the architecture (translated), e.g. "GRU 1×32 bi · bahdanau attention · emb 16". */
  model?: string;
  /** The run's resolved config, from run.json. */
  config?: Seq2SeqConfig;
  events: CompareEvent[];
  /** True while a worker of this window is training the run (or, for a Slurm run, while its job runs). */
  running: boolean;
  /** For a run submitted to Slurm: its job and state, in words (e.g. "Slurm 45_1 · queued"). */
  job?: { jobId: string | null; state: 'queued' | 'running' | 'done' | 'failed' | 'timed out' | 'cancelled'; text: string };
  /**
   * Why the run cannot be shown, or not completely (translated): its folder is
   * gone, run.json or metrics.jsonl is unreadable, lines were skipped.
   */
  problem?: string;
}

/** Host → webview: show exactly these runs (in this order), replacing what is shown. */
export interface ShowRunsMessage {
  type: 'show';
  runs: CompareRun[];
}

/** Host → webview: a run of the comparison changed (its metrics.jsonl grew, or it was deleted). */
export interface RunUpdatedMessage {
  type: 'run';
  run: CompareRun;
}

export type HostToCompare = ShowRunsMessage | RunUpdatedMessage;

/** Webview → host: the page loaded and wants `show`. */
export interface CompareReadyCommand { type: 'ready' }

/** Webview → host: write this run's metrics as CSV (the table's per-run action). */
export interface ExportCsvCommand {
  type: 'exportCsv';
  runDir: string;
}

export type CompareToHost = CompareReadyCommand | ExportChartCommand | ExportCsvCommand;
