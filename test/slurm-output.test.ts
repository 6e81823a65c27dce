/**
 * Reading Slurm's output (src/core/experiments/slurmOutput.ts) from samples
 * of several versions (test/fixtures/slurm/: 22.05 recorded from the local
 * cluster, 20.11 and 23.11 written from the documented formats; see its
 * README): sbatch --parsable and its refusals, squeue with the lab's -o
 * format, scontrol show job -o, sacct -P, host lists, and the mapping of
 * every documented job state onto the lab's six.
 */
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  expandArrayId,
  expandHostList,
  mapSlurmState,
  parseSacct,
  parseSbatchParsable,
  parseScontrolShowJob,
  parseSqueue,
  sbatchRefusal,
  SlurmOutputError,
} from '../src/core/experiments/slurmOutput';

const sample = (version: string, file: string) => readFileSync(path.join(__dirname, 'fixtures', 'slurm', version, file), 'utf8');

describe('Slurm output: sbatch', () => {
  it('--parsable: the job id, with the cluster of a multi-cluster answer, after any warning line', () => {
    assert.deepEqual(parseSbatchParsable(sample('22.05', 'sbatch-parsable.txt')), { jobId: '10' });
    assert.deepEqual(parseSbatchParsable(sample('20.11', 'sbatch-parsable.txt')), { jobId: '4242', cluster: 'cluster1' });
    assert.deepEqual(parseSbatchParsable(sample('20.11', 'sbatch-parsable-warning.txt')), { jobId: '4243' });
    assert.deepEqual(parseSbatchParsable(sample('23.11', 'sbatch-parsable.txt')), { jobId: '31337' });
    assert.throws(() => parseSbatchParsable('Submitted batch job 12\n'), SlurmOutputError);
    assert.throws(() => parseSbatchParsable(''), /printed no job id/);
  });

  it("refusals: Slurm's own words, without sbatch's prefixes", () => {
    assert.equal(sbatchRefusal(sample('22.05', 'sbatch-invalid-partition.stderr')), 'invalid partition specified: nosuch; Invalid partition name specified');
    assert.equal(sbatchRefusal(sample('22.05', 'sbatch-time-limit.stderr')), 'Requested time limit is invalid (missing or exceeds some limit)');
    assert.equal(
      sbatchRefusal(sample('20.11', 'sbatch-account-limit.stderr')),
      "AssocMaxSubmitJobLimit; Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)",
    );
    assert.equal(sbatchRefusal(sample('23.11', 'sbatch-invalid-account.stderr')), 'Invalid account or account/partition combination specified');
    assert.equal(sbatchRefusal('something odd\n'), 'something odd');
    assert.equal(sbatchRefusal(''), 'sbatch exited without a message');
  });
});

describe('Slurm output: squeue -h -r -t all -o %i|%T|%r|%N|%M', () => {
  it('22.05 (recorded): array tasks one a line, pending reasons, ended jobs', () => {
    const e = parseSqueue(sample('22.05', 'squeue.txt'));
    assert.deepEqual(
      e.map((x) => [x.jobId, x.state, x.reason ?? '', x.nodes ?? '']),
      [
        ['13', 'cancelled', 'Resources', ''],
        ['11', 'failed', 'NonZeroExitCode', 'localhost'],
        ['10_1', 'queued', 'JobArrayTaskLimit', ''],
        ['10_2', 'queued', 'JobArrayTaskLimit', ''],
        ['10_3', 'queued', 'JobArrayTaskLimit', ''],
        ['12', 'queued', 'BeginTime', ''],
        ['10_0', 'running', '', 'localhost'],
      ],
    );
    assert.equal(e[6]!.elapsed, '0:07');
  });

  it('a pending range squeue folds into one line is expanded (with a step and a throttle)', () => {
    assert.deepEqual(parseSqueue(sample('22.05', 'squeue-folded.txt')).map((x) => x.jobId), ['10_1', '10_2', '10_3', '10_0']);
    const e = parseSqueue(sample('20.11', 'squeue.txt'));
    assert.deepEqual(e.slice(0, 4).map((x) => x.jobId), ['4242_1', '4242_3', '4242_5', '4242_7']);
    assert.deepEqual(expandArrayId('5_[0-2,7]'), ['5_0', '5_1', '5_2', '5_7']);
    assert.deepEqual(expandArrayId('17'), ['17']);
  });

  it('20.11 and 23.11 (from the documented formats): timed out, node failure, preempted, completing, suspended, held, out of memory, deadline', () => {
    const by = (file: string, v: string) => new Map(parseSqueue(sample(v, file)).map((x) => [x.jobId, x]));
    const a = by('squeue.txt', '20.11');
    assert.equal(a.get('4242_0')!.state, 'running');
    assert.equal(a.get('4242_0')!.elapsed, '1-02:03:04');
    assert.equal(a.get('4244')!.state, 'timed out');
    assert.equal(a.get('4244')!.nodes, 'node[01-02]');
    assert.equal(a.get('4245')!.state, 'failed');
    assert.equal(a.get('4246')!.state, 'cancelled');
    assert.equal(a.get('4247')!.state, 'running');
    assert.equal(a.get('4248')!.reason, 'ReqNodeNotAvail, UnavailableNodes:node[08-09]');
    const b = by('squeue.txt', '23.11');
    assert.deepEqual(
      [...b.values()].map((x) => [x.jobId, x.state]),
      [
        ['31337_0', 'done'],
        ['31337_1', 'running'],
        ['31337_2', 'queued'],
        ['31338', 'queued'],
        ['31339', 'queued'],
        ['31340', 'failed'],
        ['31341', 'timed out'],
      ],
    );
  });

  it('a line of another shape (SQUEUE_FORMAT leaking in) is an error, not a guess', () => {
    assert.throws(() => parseSqueue('  JOBID PARTITION NAME USER ST TIME NODES NODELIST(REASON)\n'), /expected 5 fields/);
    assert.deepEqual(parseSqueue(''), []);
  });
});

describe('Slurm output: scontrol show job -o, sacct -P, sinfo host lists', () => {
  it('scontrol 22.05 (recorded): array tasks by ArrayJobId_ArrayTaskId, exit codes, restarts, log paths', () => {
    const arr = parseScontrolShowJob(sample('22.05', 'scontrol-array.txt'));
    assert.deepEqual(arr.map((j) => [j.jobId, j.state, j.reason ?? '']), [
      ['10', 'queued', 'JobArrayTaskLimit'],
      ['10_0', 'running', ''],
    ]);
    assert.equal(arr[1]!.stdout, '/home/alice/exp/10_0.out');
    const [failed] = parseScontrolShowJob(sample('22.05', 'scontrol-failed.txt'));
    assert.deepEqual([failed!.jobId, failed!.state, failed!.exitCode, failed!.nodes], ['11', 'failed', { code: 3, signal: 0 }, 'localhost']);
    const [requeued] = parseScontrolShowJob(sample('22.05', 'scontrol-requeued.txt'));
    assert.deepEqual([requeued!.state, requeued!.reason, requeued!.restarts], ['queued', 'BeginTime', 1]);
    const [cancelled] = parseScontrolShowJob(sample('22.05', 'scontrol-cancelled.txt'));
    assert.equal(cancelled!.state, 'cancelled');
    assert.equal(cancelled!.nodes, undefined);
  });

  it('scontrol 20.11 and 23.11: values with spaces (paths), a timed-out job killed by signal 15, out of memory after two restarts', () => {
    const [t, oom] = parseScontrolShowJob(sample('20.11', 'scontrol-timeout.txt'));
    assert.equal(t!.state, 'timed out');
    assert.deepEqual(t!.exitCode, { code: 0, signal: 15 });
    assert.equal(t!.stderr, '/home/alice/my runs/slurm-4244.err');
    assert.deepEqual([oom!.jobId, oom!.state, oom!.restarts], ['4242_3', 'failed', 2]);
    const arr = parseScontrolShowJob(sample('23.11', 'scontrol-array.txt'));
    assert.deepEqual(arr.map((j) => [j.jobId, j.state, j.restarts]), [
      ['31337_2', 'queued', 0],
      ['31337_1', 'running', 1],
    ]);
  });

  it('sacct: "CANCELLED by uid", a requeued job\'s last attempt wins', () => {
    const e = new Map(parseSacct(sample('20.11', 'sacct.txt')).map((x) => [x.jobId, x]));
    assert.equal(e.get('4242_1')!.state, 'cancelled');
    assert.equal(e.get('4242_1')!.slurmState, 'CANCELLED');
    assert.equal(e.get('4242_2')!.state, 'timed out');
    assert.equal(e.get('4245')!.state, 'done');
    assert.equal(e.get('4251')!.state, 'failed');
    assert.deepEqual(parseSacct(''), []);
  });

  it('host lists: ranges with leading zeros, several groups, plain names', () => {
    assert.deepEqual(expandHostList('node[01-03,7],gpu1'), ['node01', 'node02', 'node03', 'node7', 'gpu1']);
    assert.deepEqual(expandHostList('localhost'), ['localhost']);
    const lines = sample('22.05', 'sinfo-partitions.txt').trim().split('\n');
    assert.deepEqual(lines, ['debug*|localhost', 'short|localhost']);
  });
});

describe('Slurm job states → the lab\'s six', () => {
  it('every state squeue(1) documents maps onto one of them (long names and codes)', () => {
    const expected: Record<string, string> = {
      PENDING: 'queued', PD: 'queued', REQUEUED: 'queued', RQ: 'queued', REQUEUE_FED: 'queued', REQUEUE_HOLD: 'queued', RH: 'queued',
      CONFIGURING: 'queued', CF: 'queued', RESV_DEL_HOLD: 'queued', SPECIAL_EXIT: 'queued', SUSPENDED: 'queued', S: 'queued', STOPPED: 'queued',
      RUNNING: 'running', R: 'running', COMPLETING: 'running', CG: 'running', SIGNALING: 'running', STAGE_OUT: 'running', RESIZING: 'running',
      COMPLETED: 'done', CD: 'done',
      TIMEOUT: 'timed out', TO: 'timed out', DEADLINE: 'timed out', DL: 'timed out',
      CANCELLED: 'cancelled', CA: 'cancelled', PREEMPTED: 'cancelled', PR: 'cancelled', REVOKED: 'cancelled',
      FAILED: 'failed', F: 'failed', NODE_FAIL: 'failed', NF: 'failed', OUT_OF_MEMORY: 'failed', OOM: 'failed', BOOT_FAIL: 'failed', BF: 'failed',
    };
    for (const [s, lab] of Object.entries(expected)) assert.equal(mapSlurmState(s), lab, s);
    assert.equal(mapSlurmState('CANCELLED by 1000'), 'cancelled');
    assert.equal(mapSlurmState('CANCELLED+'), 'cancelled');
    assert.equal(mapSlurmState('SOMETHING_NEW'), undefined);
  });
});
