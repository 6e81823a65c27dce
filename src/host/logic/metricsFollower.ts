/**
 * Following a run's metrics.jsonl as another machine appends to it (a Slurm
 * task writing on a shared file system, where file-change notifications do
 * not arrive: inotify does not see writes of other NFS clients). Each
 * {@link MetricsFollower.poll} reads what was appended since the last one
 * (complete lines only); a file that was cut back — a requeued task resuming
 * from `last/` cuts it to that checkpoint, and may have written past the old
 * length again by the next poll — is read again from the start: the bytes
 * just before the read position are checked at every poll.
 * No `vscode` import.
 */
import { promises as fs } from 'fs';
import type { TrainingEvent } from '../../core/training/events';

/** What one poll found. */
export interface FollowedEvents {
  /** True when the file was read from its start again (first poll, or it shrank): replace what was shown. */
  reset: boolean;
  /** The events of the complete lines read (all of them after a reset). */
  events: TrainingEvent[];
}

/** Reads a growing JSON-lines file by polling (see the module doc). */
export class MetricsFollower {
  private offset = 0;
  private started = false;
  private lastSize = -1;
  private lastMtime = -1;
  /** The last bytes read (up to {@link MARK_BYTES} before `offset`), to notice a file rewritten under it. */
  private mark = Buffer.alloc(0);

  constructor(readonly file: string) {}

  /**
   * The events appended since the last poll; undefined when nothing changed
   * (or the file does not exist yet). Never throws.
   */
  async poll(): Promise<FollowedEvents | undefined> {
    const st = await fs.stat(this.file).catch(() => undefined);
    if (!st) return undefined;
    if (this.started && st.size === this.lastSize && st.mtimeMs === this.lastMtime) return undefined;
    const reset = !this.started || st.size < this.offset || !(await this.markHolds());
    if (reset) {
      this.offset = 0;
      this.mark = Buffer.alloc(0);
    }
    this.started = true;
    this.lastSize = st.size;
    this.lastMtime = st.mtimeMs;
    if (st.size === this.offset) return reset ? { reset, events: [] } : undefined;
    const fh = await fs.open(this.file, 'r').catch(() => undefined);
    if (!fh) return undefined;
    try {
      const buf = Buffer.alloc(st.size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      const text = buf.subarray(0, bytesRead);
      const end = text.lastIndexOf(0x0a) + 1; // a line still being written waits for the next poll
      const events: TrainingEvent[] = [];
      for (const line of text.subarray(0, end).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const e = JSON.parse(line) as TrainingEvent;
          if (e && typeof e.type === 'string') events.push(e);
        } catch {
          /* a torn line */
        }
      }
      this.offset += end;
      if (end > 0) this.mark = Buffer.concat([this.mark, text.subarray(0, end)]).subarray(-MARK_BYTES);
      if (end < bytesRead) this.lastSize = -1; // read the rest of the line next time even if nothing else changes
      return { reset, events };
    } finally {
      await fh.close();
    }
  }

  /** True when the file still holds, just before the read position, the bytes last read there. */
  private async markHolds(): Promise<boolean> {
    if (this.mark.length === 0) return true;
    const fh = await fs.open(this.file, 'r').catch(() => undefined);
    if (!fh) return false;
    try {
      const buf = Buffer.alloc(this.mark.length);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset - this.mark.length);
      return bytesRead === buf.length && buf.equals(this.mark);
    } finally {
      await fh.close();
    }
  }
}

/** Bytes before the read position compared at each poll. */
const MARK_BYTES = 256;
