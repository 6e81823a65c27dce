/**
 * A run's state in words, for `seq2seq jobs status` and the Models view:
 * the six states of src/core/experiments/slurmOutput.ts and the notes of
 * `RunStatus` (src/core/experiments/slurmJobs.ts) — why a run waits, that it
 * requeued itself at its time limit, that a compute node never wrote to its
 * run folder. Translated with `l10n.t`; no `vscode` import.
 */
import type { RunStatus, StatusNote } from '../core/experiments/slurmJobs';
import type { RunState } from '../core/experiments/slurmOutput';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures (the extractor needs this import).
import * as l10n from '@vscode/l10n';

/** The state as a word: queued, running, done, failed, timed out, cancelled. */
export function stateLabel(state: RunState): string {
  switch (state) {
    case 'queued':
      return l10n.t('queued');
    case 'running':
      return l10n.t('running');
    case 'done':
      return l10n.t('done');
    case 'failed':
      return l10n.t('failed');
    case 'timed out':
      return l10n.t('timed out');
    case 'cancelled':
      return l10n.t('cancelled');
  }
}

/** Slurm's pending reasons the lab puts in words; others are shown as Slurm names them. */
function waitingReason(reason: string): string {
  switch (reason) {
    case 'Priority':
      return l10n.t('other jobs come first (Priority)');
    case 'Resources':
      return l10n.t('waiting for free nodes (Resources)');
    case 'JobArrayTaskLimit':
      return l10n.t('waiting for a slot of the array (JobArrayTaskLimit: --max-parallel)');
    case 'BeginTime':
      return l10n.t('requeued: eligible again shortly (BeginTime)');
    default:
      return reason;
  }
}

/** The note of a status in words (undefined: nothing to add). */
export function describeNote(note: StatusNote | undefined, logs?: { out: string; err: string }): string | undefined {
  if (!note) return undefined;
  const seeErr = logs ? ' ' + l10n.t('See {0}.', logs.err) : '';
  switch (note.kind) {
    case 'waiting':
      return waitingReason(note.reason);
    case 'requeued':
      return note.count === 1
        ? l10n.t('checkpointed at step {0} before the time limit and requeued', note.step)
        : l10n.t('checkpointed at step {0} before the time limit and requeued ({1} times so far)', note.step, note.count);
    case 'no-word-yet':
      return l10n.t(
        'running for {0} s on {1} without writing to its run folder yet: if this lasts, the node may not see the folder (it must be on a shared file system)',
        note.seconds,
        note.node ?? '?',
      );
    case 'never-started': {
      const how = note.slurmState + (note.exitCode ? `, ${l10n.t('exit code {0}', note.exitCode)}` : '');
      if (note.logWritten === false) {
        return l10n.t(
          'the job ended ({0}) on {1} before the task wrote to its run folder, and Slurm could not write the job\'s log there either: the compute node cannot see the folder. Put the runs folder on a file system the compute nodes share (home, project or scratch space).',
          how,
          note.node ?? '?',
        );
      }
      return (
        l10n.t('the job ended ({0}) on {1} before the task wrote to its run folder: Node.js or the lab could not start there (see --setup), or the node cannot see the folder.', how, note.node ?? '?') +
        seeErr
      );
    }
    case 'task-error':
      return note.message + seeErr;
    case 'died':
      return (
        l10n.t('the job ended ({0}) without the task saying how (killed, out of memory, or its node was lost).', note.slurmState + (note.exitCode ? `, ${l10n.t('exit code {0}', note.exitCode)}` : '')) +
        seeErr
      );
    case 'vanished':
      return l10n.t('Slurm no longer knows the job and the run folder does not say how it ended');
    case 'local':
      return l10n.t('training on this machine (pid {0})', note.pid);
    case 'unreachable':
      return l10n.t('Slurm did not answer ({0}); the state is the run folder\'s', note.message);
    case 'interrupted':
      return note.checkpointStep !== undefined
        ? l10n.t('stopped without finishing at step {0}; train --resume continues from last/ (step {1})', note.step, note.checkpointStep)
        : l10n.t('stopped without finishing at step {0}, before its first checkpoint', note.step);
  }
}

/** "running · step 120 · job 45_1" and the note, in one line. */
export function statusLine(s: RunStatus): string {
  const parts = [stateLabel(s.state), l10n.t('step {0}', s.step)];
  if (s.jobId) parts.push(l10n.t('job {0}', s.jobId));
  const note = describeNote(s.note, s.logs);
  return parts.join(' · ') + (note ? ` — ${note}` : '');
}
