/**
 * A requeued Slurm task takes over its run folder's lock from the attempt a
 * dead node left, even on another host (src/core/runs/runLock.ts,
 * `RunLockInfo.slurmJob`): Slurm runs one attempt of a job at a time. Any
 * other holder on another host is still never presumed dead.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { acquireRunLock, LOCK_FILE, readRunLock, RunLockedError } from '../src/core/runs/runLock';

describe('run folder lock and Slurm jobs', () => {
  let dir: string;
  const saved = process.env.SLURM_JOB_ID;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-slurm-lock-'));
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.SLURM_JOB_ID;
    else process.env.SLURM_JOB_ID = saved;
    await fs.rm(dir, { recursive: true, force: true });
  });

  const deadNodeLock = (slurmJob?: string) =>
    fs.writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 4242, host: 'node-that-died', threadId: 0, started: '2026-01-01T00:00:00Z', ...(slurmJob ? { slurmJob } : {}) }) + '\n');

  it('the next attempt of the same job takes the lock over from another host, and records its own job', async () => {
    await deadNodeLock('777');
    process.env.SLURM_JOB_ID = '777';
    const lock = await acquireRunLock(dir);
    assert.equal(lock.tookOverFrom?.host, 'node-that-died');
    assert.equal(lock.info.slurmJob, '777');
    const read = await readRunLock(dir);
    assert.deepEqual([read!.holder.slurmJob, read!.live], ['777', true]);
    await lock.release();
  });

  it('another job, or no job, does not: the holder on another host is named', async () => {
    await deadNodeLock('777');
    process.env.SLURM_JOB_ID = '778';
    await assert.rejects(acquireRunLock(dir), (e: Error) => e instanceof RunLockedError && /host "node-that-died", Slurm job 777/.test(e.message));
    delete process.env.SLURM_JOB_ID;
    await assert.rejects(acquireRunLock(dir), RunLockedError);
    await deadNodeLock();
    process.env.SLURM_JOB_ID = '777';
    await assert.rejects(acquireRunLock(dir), RunLockedError);
  });
});
