/**
 * Host ↔ Training panel (webview) protocol. Imported by `src/host/` and by
 * `webview/training/`. The host keeps every event of the current run and
 * replays them when the webview (re)loads, so the panel survives being
 * hidden and shown again.
 */
import type { TrainingEvent } from '../core/training/events';
import type { ExportChartCommand } from './chartExport';

export interface RunInfo {
  /** Display name of the run (config name or folder name). */
  name: string;
  runDir: string;
  configPath: string;
}

/** Where a run that stopped without finishing can be resumed from. */
export interface ResumeInfo {
  /** Last step the run reached. */
  step: number;
  /** Step of its `last/` checkpoint, where a resume continues. */
  checkpointStep: number;
}

/**
 * The Slurm job of a run the panel follows (src/host/slurmJobs.ts): queued —
 * submitted and not started yet, or requeued at its time limit and waiting
 * to be eligible again — or running. Absent for a run trained in this window.
 */
export interface JobInfo {
  queued: boolean;
  /** Why it waits or what happened to it, in words (src/shared/jobText.ts `describeNote`). */
  note?: string;
}

/** Host → webview: replace everything shown with this run's history. */
export interface ReplayMessage {
  type: 'replay';
  run: RunInfo | undefined;
  events: TrainingEvent[];
  /** True while a worker is still training this run. */
  running: boolean;
  /**
   * Set when the run stopped without finishing (its worker was killed, e.g.
   * by a window reload) and can be resumed: the panel shows it interrupted
   * and offers Resume.
   */
  interrupted?: ResumeInfo;
  /** The job of a followed Slurm run, while it is queued or running. */
  job?: JobInfo;
}

/** Host → webview: the followed run's job changed state (queued ↔ running) or note; undefined: no job (any more). */
export interface JobMessage {
  type: 'job';
  job: JobInfo | undefined;
}

/** Host → webview: one new event of the run being shown. */
export interface EventMessage {
  type: 'event';
  event: TrainingEvent;
}

/** Host → webview: the run ended with an error. */
export interface FailedMessage {
  type: 'failed';
  message: string;
  /** Set when the run kept a `last/` checkpoint: the panel offers Resume. */
  resumable?: ResumeInfo;
}

export type HostToPanel = ReplayMessage | EventMessage | FailedMessage | JobMessage;

/** Webview → host: the page loaded and wants the replay. */
export interface ReadyCommand { type: 'ready' }
/** Webview → host: the user pressed Stop. */
export interface StopCommand { type: 'stop' }
/** Webview → host: open the run folder in the OS / explorer. */
export interface RevealRunCommand { type: 'revealRun' }

/** Webview → host: resume the run shown (interrupted or failed) from its last checkpoint. */
export interface ResumeCommand { type: 'resume' }

/** Webview → host: save one of the panel's charts as SVG or PNG (src/protocol/chartExport.ts). */
export type PanelToHost = ReadyCommand | StopCommand | RevealRunCommand | ResumeCommand | ExportChartCommand;
