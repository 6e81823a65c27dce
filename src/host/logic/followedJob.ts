/**
 * The job state the Training panel shows for a followed Slurm run.
 *
 * Slurm is asked about a job every `seq2seq.slurm.pollSeconds` (30 s by
 * default: `squeue`'s manual asks tools not to poll it in tight loops), but
 * the run's metrics.jsonl is read every second. An attempt that has started
 * writes `started` and `progress` events well before the next poll of Slurm
 * says it runs; until then the monitor's last word is "queued", and the panel
 * would show "queued — waiting to start" over live curves. The events are the
 * fresher evidence: once the run has written them after the job was last seen
 * queued, the panel shows it running.
 */
import type { TrainingEvent } from '../../core/training/events';
import type { JobInfo } from '../../protocol/trainingPanel';

/** Feed it every poll of the followed file; it says which job state to show. */
export class FollowedJob {
  /** The monitor said "queued" at the last poll. */
  private queued = false;
  /** Since the monitor first said "queued", the run wrote events of a started attempt. */
  private startedSince = false;

  /**
   * @param job what the Slurm monitor last said (undefined: not active)
   * @param events the events this poll read from metrics.jsonl (a re-read file's too)
   * @returns the job to show: `job`, or running (`queued: false`) when an attempt has evidently started
   */
  show(job: JobInfo | undefined, events: readonly TrainingEvent[]): JobInfo | undefined {
    if (!job?.queued) {
      this.queued = false;
      return job;
    }
    if (!this.queued) {
      // Newly queued (submitted, or requeued at a time limit): what this poll read may still be the
      // last attempt's final events, written before the job went back to the queue.
      this.queued = true;
      this.startedSince = false;
      return job;
    }
    if (events.some((e) => e.type === 'started' || e.type === 'progress')) this.startedSince = true;
    return this.startedSince ? { queued: false } : job;
  }
}
