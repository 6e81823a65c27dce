/**
 * One training per run folder: `train()` holds `<runDir>/train.lock` while
 * it runs. The lock file is JSON naming its holder (pid, host, thread, start
 * time); a second training on the folder (another window, or the CLI beside
 * VS Code) is refused with a `RunLockedError` naming that holder. A lock left
 * by a process that no longer exists (same host, pid not alive, e.g. after a
 * SIGKILL) is taken over. Plain Node; no `vscode` import.
 */
import { promises as fs, readFileSync, unlinkSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { threadId } from 'worker_threads';

/** Name of the lock file in a run folder. */
export const LOCK_FILE = 'train.lock';

/** Contents of `train.lock`. */
export interface RunLockInfo {
  pid: number;
  /** `os.hostname()` of the holder. */
  host: string;
  /** `worker_threads.threadId` of the holder (0: the main thread). */
  threadId: number;
  /** ISO 8601 time the lock was taken. */
  started: string;
  /**
   * The Slurm job of the holder (`SLURM_JOB_ID` of a task running as a Slurm
   * job): a later attempt of the same job (requeued after its node died) may
   * take the lock over from another host, since Slurm runs one attempt of a
   * job at a time.
   */
  slurmJob?: string;
}

/** Thrown when another training holds the run folder's lock. */
export class RunLockedError extends Error {
  constructor(
    message: string,
    /** The holder as recorded in the lock file. */
    readonly holder?: RunLockInfo,
  ) {
    super(message);
    this.name = 'RunLockedError';
  }
}

/** A held lock; `release` it when the training ends. */
export interface RunLock {
  readonly file: string;
  readonly info: RunLockInfo;
  /** Set when a stale lock was taken over: who held it. */
  readonly tookOverFrom?: RunLockInfo;
  /** Delete the lock file if it is still this holder's (idempotent). */
  release(): Promise<void>;
}


/** Lock files younger than this that cannot be parsed are assumed to be being written by a live holder. */
const UNREADABLE_GRACE_MS = 10_000;

/** True when a process with this pid exists on this machine. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

function parseLock(text: string): RunLockInfo | undefined {
  try {
    const j = JSON.parse(text) as Partial<RunLockInfo>;
    if (typeof j.pid === 'number' && typeof j.host === 'string' && typeof j.started === 'string') {
      return {
        pid: j.pid,
        host: j.host,
        threadId: typeof j.threadId === 'number' ? j.threadId : 0,
        started: j.started,
        ...(typeof j.slurmJob === 'string' ? { slurmJob: j.slurmJob } : {}),
      };
    }
  } catch {
    /* unreadable */
  }
  return undefined;
}

function sameHolder(a: RunLockInfo, b: RunLockInfo): boolean {
  return a.pid === b.pid && a.host === b.host && a.threadId === b.threadId && a.started === b.started;
}

/**
 * Whether the holder is gone: on this host, its process no longer exists;
 * or it was an earlier attempt of the Slurm job this process runs as (see
 * {@link RunLockInfo.slurmJob}). A holder on another host (a shared folder)
 * is otherwise never presumed dead.
 */
function holderIsDead(holder: RunLockInfo, env: NodeJS.ProcessEnv = process.env): boolean {
  if (holder.slurmJob !== undefined && holder.slurmJob === env.SLURM_JOB_ID && !(holder.host === os.hostname() && holder.pid === process.pid)) return true;
  return holder.host === os.hostname() && !pidAlive(holder.pid);
}

/** A lock's holder for messages: `pid 123 on host "x", started …`. */
export function describeLockHolder(h: RunLockInfo): string {
  const thread = h.threadId ? `, thread ${h.threadId}` : '';
  const job = h.slurmJob ? `, Slurm job ${h.slurmJob}` : '';
  return `pid ${h.pid}${thread} on host "${h.host}"${job}, started ${h.started}`;
}

/**
 * Take the training lock of a run folder (which must exist).
 * @throws RunLockedError when a live training holds it (the message names the
 *   holder, the lock file and what to do); the `fs` error when the folder is not writable
 */
export async function acquireRunLock(runDir: string): Promise<RunLock> {
  const file = path.join(runDir, LOCK_FILE);
  const slurmJob = process.env.SLURM_JOB_ID;
  const info: RunLockInfo = { pid: process.pid, host: os.hostname(), threadId, started: new Date().toISOString(), ...(slurmJob ? { slurmJob } : {}) };
  let tookOverFrom: RunLockInfo | undefined;
  // Give up only after a killed contender's leftovers (an empty lock file, a takeover mutex) have expired:
  // a fixed number of attempts ran out before that when a process was killed mid-takeover.
  const deadline = Date.now() + UNREADABLE_GRACE_MS + 5_000;
  while (Date.now() < deadline) {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fh) {
      try {
        await fh.writeFile(JSON.stringify(info) + '\n');
        await fh.sync();
      } finally {
        await fh.close();
      }
      return makeLock(file, info, tookOverFrom);
    }
    // Someone holds it (or held it): who?
    let text: string;
    let mtimeMs: number;
    try {
      text = await fs.readFile(file, 'utf8');
      mtimeMs = (await fs.stat(file)).mtimeMs;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw e;
    }
    const holder = parseLock(text);
    if (holder ? !holderIsDead(holder) : Date.now() - mtimeMs < UNREADABLE_GRACE_MS) {
      if (!holder) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      throw new RunLockedError(
        `${runDir} is in use by another training (${describeLockHolder(holder)}; lock file ${file}). ` +
          'Wait for it to finish or stop it, or train into another folder (--out). ' +
          'If no such training is running any more, delete the lock file and try again.',
        holder,
      );
    }
    // Stale. Only the contender holding the takeover mutex may remove it, and only if the
    // lock file still holds what was judged stale (a contender may have replaced it meanwhile).
    const mutex = `${file}.takeover`;
    let mh: fs.FileHandle | undefined;
    try {
      mh = await fs.open(mutex, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Another contender is taking over. A mutex left by a killed one is removed: at once when it
      // names a process of this host that is gone, else once it is older than the grace period.
      const [age, owner] = await Promise.all([
        fs.stat(mutex).then((st) => Date.now() - st.mtimeMs, () => 0),
        fs.readFile(mutex, 'utf8').then(parseLock, () => undefined),
      ]);
      if (age > UNREADABLE_GRACE_MS || (owner && owner.host === os.hostname() && !pidAlive(owner.pid))) await fs.rm(mutex, { force: true });
      else await new Promise((r) => setTimeout(r, 20 + Math.random() * 50));
      continue;
    }
    try {
      await mh.writeFile(JSON.stringify(info) + '\n');
      await mh.close();
      mh = undefined;
      const now = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (now === text) {
        await fs.rm(file, { force: true });
        tookOverFrom = holder;
      }
    } finally {
      await mh?.close().catch(() => undefined);
      await fs.rm(mutex, { force: true });
    }
  }
  throw new RunLockedError(`could not take the lock ${file}: other processes keep taking it. Is another training starting on ${runDir}?`);
}

function makeLock(file: string, info: RunLockInfo, tookOverFrom: RunLockInfo | undefined): RunLock {
  let released = false;
  return {
    file,
    info,
    tookOverFrom,
    async release() {
      if (released) return;
      released = true;
      const current = parseLock(await fs.readFile(file, 'utf8').catch(() => ''));
      if (current && sameHolder(current, info)) await fs.rm(file, { force: true });
    },
  };
}

/**
 * Delete a run folder's lock when its holder is the given thread of this
 * process (the extension host calls it when a training worker thread ended
 * without releasing its lock, e.g. terminated). Synchronous; never throws.
 * @param workerThreadId the ended Worker's `threadId`
 */
export function releaseThreadLock(runDir: string, workerThreadId: number): void {
  const file = path.join(runDir, LOCK_FILE);
  try {
    const holder = parseLock(readFileSync(file, 'utf8'));
    if (holder && holder.pid === process.pid && holder.host === os.hostname() && holder.threadId === workerThreadId) unlinkSync(file);
  } catch {
    /* no lock, or not ours */
  }
}

/**
 * Whether a live training holds the run folder's lock: true when `train.lock`
 * names a holder that still runs (or one on another host, which is never
 * presumed dead), or is unreadable but fresh (being written); false when
 * there is no lock or its holder is gone (a killed process, e.g. an extension
 * host that a window reload ended). Never throws.
 */
export async function runLockIsHeld(runDir: string): Promise<boolean> {
  const file = path.join(runDir, LOCK_FILE);
  let text: string;
  let mtimeMs: number;
  try {
    text = await fs.readFile(file, 'utf8');
    mtimeMs = (await fs.stat(file)).mtimeMs;
  } catch {
    return false;
  }
  const holder = parseLock(text);
  return holder ? !holderIsDead(holder) : Date.now() - mtimeMs < UNREADABLE_GRACE_MS;
}

/**
 * The holder of a run folder's lock and whether it still runs (as
 * {@link runLockIsHeld} judges it); undefined when there is no readable lock.
 * Never throws.
 */
export async function readRunLock(runDir: string): Promise<{ holder: RunLockInfo; live: boolean } | undefined> {
  const text = await fs.readFile(path.join(runDir, LOCK_FILE), 'utf8').catch(() => undefined);
  const holder = text === undefined ? undefined : parseLock(text);
  return holder ? { holder, live: !holderIsDead(holder, {}) } : undefined;
}
