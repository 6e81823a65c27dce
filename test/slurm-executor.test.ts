/**
 * The executors without a cluster: SlurmExecutor against a recorder that
 * plays sbatch, squeue, sacct, scontrol, scancel and sinfo (what it is asked
 * and with which environment; what it answers is the format the lab asked
 * for, see test/slurm-output.test.ts for real samples), the state of a run
 * from its folder first, ablation.json filled in from the runs, and the local
 * executor's state and cancel (SIGINT to a real `seq2seq train`). The real
 * cluster is test/slurm-cluster.test.ts.
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withDefaults } from '../src/core/config/config';
import { LocalExecutor, statusOf, type ExecutorJob } from '../src/core/experiments/executor';
import { collectAblation } from '../src/core/experiments/slurmAblation';
import { localFileSystem, slurmEnv, SlurmExecutor, SlurmError, type CommandResult, type RunCommand } from '../src/core/experiments/slurmExecutor';
import { appendTaskEvent, deriveSlurmStatus, readJobRecord, readRunRecord, type SlurmRunRecord } from '../src/core/experiments/slurmJobs';
import { describeNote, statusLine } from '../src/shared/jobText';

interface Call {
  cmd: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
}

/** A RunCommand that records each call and answers from `answer` (default: exit 0, nothing printed). */
function recorder(answer: (c: Call) => Partial<CommandResult> | undefined) {
  const calls: Call[] = [];
  const run: RunCommand = async (cmd, args, opts) => {
    const c = { cmd, args: [...args], cwd: opts.cwd, env: opts.env };
    calls.push(c);
    return { code: 0, stdout: '', stderr: '', ...(answer(c) ?? {}) };
  };
  return { run, calls };
}

const config = (train: string) => withDefaults({ name: 'tiny', data: { train }, train: { maxSteps: 10, threads: 'auto' } });

describe('Slurm executor (recorded commands)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-slurm-exec-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const ablationJob = (): ExecutorJob => ({
    name: 'tiny',
    folder: path.join(dir, 'runs', 'tiny-ablation-1'),
    runs: ['none', 'bahdanau', 'luong-dot'].map((a) => ({
      runDir: path.join(dir, 'runs', `tiny-attention-${a}-1`),
      config: config(path.join(dir, 'pairs.tsv')),
      label: `model.attention=${a}`,
      evaluate: { beam: 1, batchSize: 64 },
    })),
  });

  it('submit: writes the plan, runs sbatch --parsable in the job folder without SQUEUE_FORMAT, and records the job ids and logs', async () => {
    const r = recorder((c) => (c.cmd === 'sbatch' && c.args[0] === '--parsable' ? { stdout: '77\n' } : c.cmd === 'sinfo' ? { stdout: 'debug*|localhost\n' } : undefined));
    const ex = new SlurmExecutor({
      taskScript: '/opt/lab/dist/slurmTask.js',
      options: { maxParallel: 2, cpusPerTask: 2, time: '30' },
      run: r.run,
      env: { PATH: '/usr/bin', SQUEUE_FORMAT: '%all', SLURM_TIME_FORMAT: 'relative', SACCT_FORMAT: 'x', HOME: '/home/a' },
    });
    const job = ablationJob();
    const submitted = await ex.submit(job);
    const sbatch = r.calls.find((c) => c.cmd === 'sbatch' && c.args[0] === '--parsable')!;
    assert.deepEqual(sbatch.args, ['--parsable', 'job.sbatch']);
    assert.equal(sbatch.cwd, job.folder);
    assert.equal(sbatch.env.SQUEUE_FORMAT, undefined);
    assert.equal(sbatch.env.SLURM_TIME_FORMAT, undefined);
    assert.equal(sbatch.env.SACCT_FORMAT, undefined);
    assert.equal(sbatch.env.HOME, '/home/a');
    assert.equal(submitted.jobId, '77');
    assert.deepEqual(submitted.runs.map((x) => x.jobId), ['77_0', '77_1', '77_2']);
    assert.deepEqual(submitted.runs[1]!.logs, { out: path.join(job.folder, '77_1.out'), err: path.join(job.folder, '77_1.err') });
    const script = await fs.readFile(path.join(job.folder, 'job.sbatch'), 'utf8');
    assert.match(script, /#SBATCH --array=0-2%2\n/);
    assert.ok(!script.includes('pairs.tsv') && !script.includes('attention'), 'no config value in the script');
    const jr = (await readJobRecord(job.folder))!;
    assert.equal(jr.jobId, '77');
    assert.deepEqual(jr.runDirs, job.runs.map((x) => x.runDir));
    const rr = (await readRunRecord(job.runs[2]!.runDir))!;
    assert.equal(rr.jobId, '77_2');
    assert.equal(rr.index, 2);
    assert.equal(rr.config.train.threads, 2, '--cpus-per-task is the run\'s train.threads');
    assert.deepEqual(rr.evaluate, { beam: 1, batchSize: 64 });
  });

  it('submit: without sbatch, or refused by Slurm, it says so and leaves no trace (an existing run keeps its record)', async () => {
    const missing = new SlurmExecutor({ taskScript: '/t.js', run: recorder((c) => (c.cmd === 'sbatch' ? { missing: true, code: null } : undefined)).run });
    const job = ablationJob();
    await assert.rejects(missing.submit(job), (e: Error) => e instanceof SlurmError && e.kind === 'missing' && /sbatch is not on the PATH of this machine/.test(e.message));
    assert.ok(!existsSync(job.folder));

    const stderr = 'sbatch: error: invalid partition specified: nosuch\nsbatch: error: Batch job submission failed: Invalid partition name specified\n';
    const refusing = new SlurmExecutor({ taskScript: '/t.js', options: { partition: 'nosuch' }, run: recorder((c) => (c.cmd === 'sbatch' && c.args[0] === '--parsable' ? { code: 1, stderr } : undefined)).run });
    await assert.rejects(refusing.submit(job), (e: Error) => e instanceof SlurmError && e.kind === 'refused' && e.message === 'Slurm refused the job: invalid partition specified: nosuch; Invalid partition name specified');
    assert.ok(!existsSync(job.folder) && !existsSync(job.runs[0]!.runDir), 'the folders it created are gone');

    // A resubmission of an existing run: the refusal restores what the folder held.
    const runDir = path.join(dir, 'existing');
    await fs.mkdir(runDir);
    await fs.writeFile(path.join(runDir, 'slurm.json'), '{"version":1,"jobId":"5"}\n');
    await fs.writeFile(path.join(runDir, 'metrics.jsonl'), '{"type":"progress"}\n');
    await assert.rejects(refusing.submit({ name: 'x', folder: runDir, runs: [{ runDir, config: config('/d.tsv'), resume: true }] }), SlurmError);
    assert.equal(await fs.readFile(path.join(runDir, 'slurm.json'), 'utf8'), '{"version":1,"jobId":"5"}\n');
    assert.ok(existsSync(path.join(runDir, 'metrics.jsonl')) && !existsSync(path.join(runDir, 'job.sbatch')) && !existsSync(path.join(runDir, 'slurm-job.json')));
  });

  it('state: the run folder first, then one squeue for all jobs, sacct for those it no longer lists; the queue at most once per poll interval', async () => {
    let now = 1_000_000;
    let squeueOut = '';
    const r = recorder((c) => {
      if (c.cmd === 'sbatch') return { stdout: '77\n' };
      if (c.cmd === 'squeue') return { stdout: squeueOut };
      if (c.cmd === 'sacct') return { stdout: '77_2|CANCELLED by 1000|0:15\n' };
      return undefined;
    });
    const ex = new SlurmExecutor({ taskScript: '/t.js', run: r.run, minPollMs: 30_000, now: () => now });
    const job = ablationJob();
    await ex.submit(job);
    const dirs = job.runs.map((x) => x.runDir);
    squeueOut = '77_0|RUNNING|None|node1|0:42\n77_1|PENDING|JobArrayTaskLimit||0:00\n';
    await appendTaskEvent(dirs[0]!, { event: 'start', time: 't', job: '77_0', restart: 0, node: 'node1', pid: 1 });
    await fs.writeFile(path.join(dirs[0]!, 'metrics.jsonl'), JSON.stringify({ type: 'progress', step: 40 }) + '\n');
    let s = await ex.state(dirs);
    assert.deepEqual(s.map((x) => [x.state, x.jobId, x.step]), [
      ['running', '77_0', 40],
      ['queued', '77_1', 0],
      ['cancelled', '77_2', 0],
    ]);
    assert.deepEqual(s[1]!.note, { kind: 'waiting', reason: 'JobArrayTaskLimit' });
    const squeue = r.calls.filter((c) => c.cmd === 'squeue');
    assert.equal(squeue.length, 1);
    assert.deepEqual(squeue[0]!.args, ['-h', '-r', '-t', 'all', '-j', '77', '-o', '%i|%T|%r|%N|%M']);
    assert.deepEqual(r.calls.find((c) => c.cmd === 'sacct')!.args, ['-P', '-n', '-X', '-j', '77', '-o', 'JobID,State,ExitCode']);

    // Within the poll interval the queue is not asked again; the run folder is read again.
    squeueOut = '77_0|COMPLETED|None|node1|1:00\n77_1|RUNNING|None|node1|0:05\n';
    await appendTaskEvent(dirs[1]!, { event: 'start', time: 't', job: '77_1', restart: 0, node: 'node1', pid: 2 });
    s = await ex.state(dirs);
    assert.equal(r.calls.filter((c) => c.cmd === 'squeue').length, 1);
    assert.equal(s[1]!.state, 'queued', 'the queue as last asked');
    now += 30_000;
    await appendTaskEvent(dirs[0]!, { event: 'end', time: 't', job: '77_0', how: 'done', step: 50, outcome: { reason: 'max-steps', steps: 50, elapsedSeconds: 3, tokensPerSecond: 100, valid: { bleu: 10, perplexity: 3 }, test: { bleu: 12, perplexity: 2.5, sentences: 20, beam: 1 } } });
    s = await ex.state(dirs);
    assert.equal(r.calls.filter((c) => c.cmd === 'squeue').length, 2);
    assert.deepEqual(s.map((x) => x.state), ['done', 'running', 'cancelled']);
    assert.equal(s[0]!.outcome!.test!.bleu, 12);
  });

  it('state: requeued at the time limit, a task error with its .err, a job that never reached its folder, Slurm not answering', async () => {
    const squeue = { out: '', code: 0, stderr: '' };
    const r = recorder((c) => {
      if (c.cmd === 'sbatch') return { stdout: '90\n' };
      if (c.cmd === 'squeue') return { stdout: squeue.out, code: squeue.code, stderr: squeue.stderr };
      if (c.cmd === 'scontrol') return { stdout: 'JobId=90 JobName=x JobState=FAILED Reason=NonZeroExitCode Restarts=0 ExitCode=1:0 NodeList=node9\n' };
      if (c.cmd === 'sacct') return { code: 1, stderr: 'Slurm accounting storage is disabled\n' };
      return undefined;
    });
    const ex = new SlurmExecutor({ taskScript: '/t.js', run: r.run, minPollMs: 0 });
    const runDir = path.join(dir, 'run');
    await ex.submit({ name: 'r', folder: runDir, runs: [{ runDir, config: config('/d.tsv') }] });

    await appendTaskEvent(runDir, { event: 'start', time: 't', job: '90', restart: 0, node: 'node9', pid: 1 });
    await appendTaskEvent(runDir, { event: 'requeue', time: 't', job: '90', step: 120 });
    squeue.out = '90|PENDING|BeginTime||0:00\n';
    let [s] = await ex.state([runDir]);
    assert.equal(s!.state, 'queued');
    assert.deepEqual(s!.note, { kind: 'requeued', step: 120, count: 1 });
    assert.match(statusLine(s!), /^queued · step 120 · job 90 — checkpointed at step 120 before the time limit and requeued$/);

    // Slurm does not answer: the run folder's word stands, with a note.
    squeue.code = 1;
    squeue.stderr = 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n';
    [s] = await ex.state([runDir]);
    assert.equal(s!.state, 'queued');
    assert.equal(s!.note!.kind, 'unreachable');
    squeue.code = 0;

    // The task failed: its message, and the tail of the .err log.
    await appendTaskEvent(runDir, { event: 'start', time: 't', job: '90', restart: 1, node: 'node9', pid: 2 });
    await appendTaskEvent(runDir, { event: 'end', time: 't', job: '90', how: 'failed', step: 120, message: 'pairs.tsv:3: expected 2 tab-separated columns' });
    const rec = (await readRunRecord(runDir))!;
    await fs.writeFile(rec.logs!.err, 'seq2seq: training failed: pairs.tsv:3: expected 2 tab-separated columns\n');
    squeue.out = '90|FAILED|NonZeroExitCode|node9|0:03\n';
    [s] = await ex.state([runDir]);
    assert.equal(s!.state, 'failed');
    assert.equal(s!.restarts, 1);
    assert.match(describeNote(s!.note, s!.logs)!, new RegExp(`^pairs\\.tsv:3: expected 2 tab-separated columns See ${rec.logs!.err.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.$`));
    assert.match(s!.errTail!, /training failed/);

    // A job that ended before its task ever wrote to the run folder, without a log: a folder the node cannot see.
    const blind = path.join(dir, 'blind');
    await ex.submit({ name: 'b', folder: blind, runs: [{ runDir: blind, config: config('/d.tsv') }] });
    squeue.out = '90|FAILED|NonZeroExitCode|node9|0:00\n';
    [s] = await ex.state([blind]);
    assert.equal(s!.state, 'failed');
    assert.deepEqual(s!.note, { kind: 'never-started', slurmState: 'FAILED', node: 'node9', exitCode: 1, logWritten: false });
    assert.match(describeNote(s!.note)!, /the compute node cannot see the folder\. Put the runs folder on a file system the compute nodes share/);

    // Running for minutes without a word: said so while it runs.
    squeue.out = '90|RUNNING|None|node9|2:30\n';
    [s] = await ex.state([blind]);
    assert.deepEqual([s!.state, s!.note], ['running', { kind: 'no-word-yet', seconds: 150, node: 'node9' }]);

    // Gone from squeue (and no accounting), nothing in the run folder: vanished, not a guess.
    squeue.out = '';
    squeue.code = 1;
    squeue.stderr = 'slurm_load_jobs error: Invalid job id specified\n';
    [s] = await ex.state([blind]);
    assert.deepEqual([s!.state, s!.note], ['failed', { kind: 'vanished' }]);
  });

  it('cancel: scancel of the runs still queued or running, recorded in their slurm.json; ended runs are left alone', async () => {
    let squeueOut = '';
    const r = recorder((c) => (c.cmd === 'sbatch' ? { stdout: '77\n' } : c.cmd === 'squeue' ? { stdout: squeueOut } : undefined));
    const ex = new SlurmExecutor({ taskScript: '/t.js', run: r.run });
    const job = ablationJob();
    await ex.submit(job);
    const dirs = job.runs.map((x) => x.runDir);
    await appendTaskEvent(dirs[0]!, { event: 'end', time: 't', job: '77_0', how: 'done', step: 10 });
    squeueOut = '77_0|COMPLETED|None|n|0:10\n77_1|RUNNING|None|n|0:05\n77_2|PENDING|JobArrayTaskLimit||0:00\n';
    const res = await ex.cancel(dirs);
    assert.deepEqual(r.calls.find((c) => c.cmd === 'scancel')!.args, ['77_1', '77_2']);
    assert.deepEqual(res.map((x) => x.sent), [false, true, true]);
    assert.equal(res[0]!.why, 'it is done');
    assert.ok((await readRunRecord(dirs[1]!))!.cancelRequested);
    // Once Slurm has forgotten it, a cancelled pending task still reads as cancelled.
    squeueOut = '';
    const [, , s2] = await ex.state(dirs);
    assert.equal(s2!.state, 'cancelled');
  });

  it('the shared-file-system check warns for a folder of this machine when the partition has other nodes', async () => {
    const sinfo = (out: string) => new SlurmExecutor({ run: recorder((c) => (c.cmd === 'sinfo' ? { stdout: out } : undefined)).run });
    const local = await localFileSystem(dir);
    const w = await sinfo('debug*|node[01-04]\ngpu|gpu1\n').sharedFileSystemWarning(path.join(dir, 'runs', 'x'));
    if (local) {
      assert.match(w!, new RegExp(`is on a file system of this machine \\(${local.replace(/[/]/g, '\\/')}\\), and the jobs run on other nodes \\(node01, node02, node03, node04\\)`));
    } else {
      assert.equal(w, undefined, 'a network file system needs no warning');
    }
    assert.equal(await sinfo('debug*|localhost\n').sharedFileSystemWarning(dir), undefined, 'a one-node cluster on this machine');
    const gpu = await sinfo('debug*|a\ngpu|gpu[1-2]\n').sharedFileSystemWarning(dir, 'gpu');
    if (local) assert.match(gpu!, /other nodes \(gpu1, gpu2\)/, 'the partition asked for, not the default one');
  });

  it('slurmEnv drops the variables that change what Slurm prints, and keeps the rest', () => {
    assert.deepEqual(slurmEnv({ SQUEUE_FORMAT: 'a', SQUEUE_FORMAT2: 'b', SQUEUE_STATES: 'all', SACCT_FORMAT: 'c', SINFO_FORMAT: 'd', SLURM_TIME_FORMAT: 'relative', SLURM_CONF: '/etc/x', PATH: '/bin' }), { SLURM_CONF: '/etc/x', PATH: '/bin' });
  });

  it('deriveSlurmStatus: a finished training is done whoever finished it; events of an earlier job are ignored; a local holder is running', () => {
    const record = { version: 1, jobFolder: '/j', index: 0, tasks: 1, jobId: '9', config: config('/d') } as SlurmRunRecord;
    const done = { type: 'done', reason: 'max-steps', step: 30 } as never;
    const base = { runDir: '/r', record, metricsTail: [] };
    assert.equal(deriveSlurmStatus({ ...base, taskEvents: [{ event: 'end', time: 't', job: '9', how: 'cancelled', step: 10 }], metricsTail: [done] }).state, 'done');
    assert.equal(deriveSlurmStatus({ ...base, taskEvents: [{ event: 'end', time: 't', job: '8', how: 'done', step: 10 }], queue: { jobId: '9', slurmState: 'PENDING', state: 'queued' } }).state, 'queued');
    assert.deepEqual(deriveSlurmStatus({ ...base, taskEvents: [], localHolder: 4242 }).note, { kind: 'local', pid: 4242 });
    assert.equal(deriveSlurmStatus({ ...base, taskEvents: [{ event: 'start', time: 't', job: '9', restart: 0, node: 'n', pid: 1 }], queue: { jobId: '9', slurmState: 'TIMEOUT', state: 'timed out' } }).state, 'timed out');
  });

  it('collectAblation fills in ablation.json once every variant has ended: finished with its test figures, stopped, failed with the reason', async () => {
    const abl = path.join(dir, 'abl');
    await fs.mkdir(abl);
    const variant = (i: number) => ({ id: `v${i}`, label: `v=${i}`, status: 'submitted' as const, runDir: path.join(dir, `r${i}`), jobId: `5_${i}` });
    await fs.writeFile(path.join(abl, 'ablation.json'), JSON.stringify({ version: 1, name: 'a', variants: [variant(0), variant(1), variant(2)], runDirs: [], finished: 'then' }));
    const st = (i: number, state: 'done' | 'cancelled' | 'failed' | 'running') => ({
      run: path.join(dir, `r${i}`), executor: 'slurm' as const, state, jobId: `5_${i}`, step: 30,
      ...(state === 'done' ? { outcome: { reason: 'max-steps', steps: 30, elapsedSeconds: 2, tokensPerSecond: 10, valid: { bleu: 1, perplexity: 2 }, test: { bleu: 9, perplexity: 3, sentences: 5, beam: 1 } } } : {}),
      ...(state === 'failed' ? { note: { kind: 'task-error' as const, message: 'boom' } } : {}),
    });
    const describe = (s: { note?: { kind: string; message?: string } }) => s.note?.message ?? '?';
    let c = await collectAblation(abl, [st(0, 'done'), st(1, 'running'), st(2, 'failed')], describe);
    assert.equal(c!.complete, false);
    assert.deepEqual(c!.summary.variants.map((v) => v.status), ['finished', 'submitted', 'failed']);
    c = await collectAblation(abl, [st(0, 'done'), st(1, 'cancelled'), st(2, 'failed')], describe, new Date('2030-01-01T00:00:00Z'));
    assert.equal(c!.complete, true);
    const written = JSON.parse(await fs.readFile(path.join(abl, 'ablation.json'), 'utf8'));
    assert.deepEqual(written.variants.map((v: { status: string }) => v.status), ['finished', 'stopped', 'failed']);
    assert.equal(written.variants[0].test.bleu, 9);
    assert.equal(written.variants[2].error, 'boom');
    assert.equal(written.finished, '2030-01-01T00:00:00.000Z');
  });

  it('collectAblation of an ablation over seeds fills in each variant\'s mean ± sd (groups) as its runs end', async () => {
    const abl = path.join(dir, 'abl-seeds');
    await fs.mkdir(abl);
    const variant = (i: number) => ({ id: `v${i >> 1}-seed-${i % 2}`, label: `v=${i >> 1} · train.seed=${i % 2}`, seed: i % 2, status: 'submitted' as const, runDir: path.join(dir, `s${i}`), jobId: `6_${i}` });
    await fs.writeFile(path.join(abl, 'ablation.json'), JSON.stringify({ version: 1, name: 'a', seeds: [0, 1], variants: [0, 1, 2, 3].map(variant), runDirs: [], finished: 'then' }));
    const st = (i: number, bleu: number) => ({
      run: path.join(dir, `s${i}`), executor: 'slurm' as const, state: 'done' as const, jobId: `6_${i}`, step: 30,
      outcome: { reason: 'max-steps', steps: 30, elapsedSeconds: 2, tokensPerSecond: 10, valid: { bleu, perplexity: 2 }, test: { bleu, perplexity: 3, sentences: 5, beam: 1 } },
    });
    const c = await collectAblation(abl, [st(0, 10), st(1, 20), st(2, 30), st(3, 30)], () => '?');
    assert.equal(c!.complete, true);
    const written = JSON.parse(await fs.readFile(path.join(abl, 'ablation.json'), 'utf8'));
    assert.deepEqual(
      written.groups.map((g: { label: string; seeds: number[]; testBleu: { mean: number; sd: number; n: number } }) => [g.label, g.seeds, g.testBleu.mean, +g.testBleu.sd.toFixed(4), g.testBleu.n]),
      [['v=0', [0, 1], 15, 7.0711, 2], ['v=1', [0, 1], 30, 0, 2]],
    );
  });
});

describe('Local executor: state and cancel of runs trained on this machine', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-local-exec-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a `seq2seq train` of this machine is running, then cancelled with SIGINT (last/ written); statusOf tells local and Slurm runs apart', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `a${i % 7} b${i % 5} c\tc b${i % 5} a${i % 7}`);
    await fs.writeFile(path.join(dir, 'p.tsv'), lines.join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'c.json'), JSON.stringify({ data: { train: 'p.tsv' }, model: { embeddingSize: 8, hiddenSize: 16 }, train: { epochs: 1000, logEvery: 1, validEvery: 0, threads: 1 } }));
    const runDir = path.join(dir, 'run');
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'seq2seq.js'), 'train', '--config', path.join(dir, 'c.json'), '--out', runDir], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const local = new LocalExecutor();
    for (let i = 0; i < 200; i++) {
      const [s] = await local.state([runDir]);
      if (s!.state === 'running' && s!.step > 5) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [running] = await statusOf([runDir], new SlurmExecutor());
    assert.deepEqual([running!.executor, running!.state, running!.note], ['local', 'running', { kind: 'local', pid: child.pid }]);
    const [c] = await local.cancel([runDir]);
    assert.equal(c!.sent, true);
    assert.equal(await exited, 0);
    const [s] = await local.state([runDir]);
    assert.equal(s!.state, 'cancelled');
    assert.ok(existsSync(path.join(runDir, 'last', 'weights.json')));
    const [again] = await local.cancel([runDir]);
    assert.deepEqual([again!.sent, again!.why], [false, 'it is not training']);
  });
});
