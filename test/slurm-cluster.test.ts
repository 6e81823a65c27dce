/**
 * Trainings and ablations as jobs of a real Slurm (scripts/slurm/local-cluster.sh:
 * one node, Debian's slurm-wlm), through the built CLI (bin/seq2seq.js):
 *
 * - a three-variant ablation as one job array with at most two tasks at once:
 *   all complete, squeue never shows more than two running, every run folder
 *   is whole, and `seq2seq eval` of each gives the BLEU of the same ablation
 *   run locally with the same seeds;
 * - a run whose time limit is shorter than its training: signalled, requeued
 *   and resumed at least twice, with the losses, validations and weights of
 *   an uninterrupted run (the resume-exact test's tolerance);
 * - `scancel` of one variant: marked cancelled, the others finish, and
 *   `seq2seq train --resume` continues it;
 * - faults: a refused submission (Slurm's message), a failing task (its .err
 *   named), Node.js missing on the node, a run folder the node cannot see
 *   (a private mount), hostile folder names, and a node that dies mid-run
 *   (requeued by Slurm, resumed from last/).
 *
 * Pending unless SEQ2SEQ_SLURM_TESTS=1: run them with `npm run test:slurm`
 * (starts the local cluster when it is not running; root, Debian). About
 * five minutes: `.ci/run` runs them.
 */
import { strict as assert } from 'assert';
import { execFile, spawn, spawnSync } from 'child_process';
import { existsSync, promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { statusOf } from '../src/core/experiments/executor';
import { SlurmExecutor } from '../src/core/experiments/slurmExecutor';
import { readRunRecord, readTaskEvents, type RunStatus } from '../src/core/experiments/slurmJobs';
import { shellQuote } from '../src/core/experiments/slurmScript';
import { loadCheckpoint, type NamedArray } from '../src/core/runs/checkpoint';
import type { ProgressEvent, TrainingEvent, ValidationEvent } from '../src/core/training/events';
import { Random } from '../src/core/random';

const ENABLED = process.env.SEQ2SEQ_SLURM_TESTS === '1';
const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'seq2seq.js');
const CLUSTER = path.join(ROOT, 'scripts', 'slurm', 'local-cluster.sh');

function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd, encoding: 'utf8', timeout: 600_000, env: { ...process.env, SEQ2SEQ_LOCALE: 'en', ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A CLI run in the background (resolves with its exit code and output). */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SEQ2SEQ_LOCALE: 'en' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A figure the test measured, printed under its title (docs/slurm.md quotes them). */
const report = (text: string) => console.log(`      · ${text}`);

/** Poll the runs' states (the run folders first, the queue each time) until `done` holds. */
async function waitFor(runDirs: string[], done: (s: RunStatus[]) => boolean, timeoutMs: number, what: string): Promise<RunStatus[]> {
  const ex = new SlurmExecutor({ minPollMs: 0 });
  const t0 = Date.now();
  let last: RunStatus[] = [];
  while (Date.now() - t0 < timeoutMs) {
    last = await statusOf(runDirs, ex);
    if (done(last)) return last;
    await sleep(1000);
  }
  throw new Error(`${what}: not reached in ${timeoutMs / 1000} s; last states: ${JSON.stringify(last.map((s) => [path.basename(s.run), s.state, s.step, s.note]))}`);
}

const ended = (s: RunStatus[]) => s.every((x) => x.state !== 'queued' && x.state !== 'running');

function squeue(jobId: string): Promise<{ id: string; state: string }[]> {
  return new Promise((resolve) => {
    execFile('squeue', ['-h', '-r', '-t', 'all', '-j', jobId, '-o', '%i|%T'], { encoding: 'utf8' }, (_e, out) =>
      resolve(
        String(out ?? '')
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const [id, state] = l.split('|');
            return { id: id!, state: state! };
          }),
      ),
    );
  });
}

async function events(runDir: string): Promise<TrainingEvent[]> {
  return (await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrainingEvent);
}
const progress = (e: TrainingEvent[]) => e.filter((x): x is ProgressEvent => x.type === 'progress');
const validations = (e: TrainingEvent[]) => e.filter((x): x is ValidationEvent => x.type === 'validation');

function assertSameArrays(a: NamedArray[], b: NamedArray[], what: string): void {
  assert.deepEqual(a.map((x) => x.name), b.map((x) => x.name), `${what}: the same arrays`);
  for (let i = 0; i < a.length; i++) {
    let worst = 0;
    for (let j = 0; j < a[i]!.values.length; j++) worst = Math.max(worst, Math.abs(a[i]!.values[j]! - b[i]!.values[j]!));
    assert.ok(worst <= 1e-5, `${what}: ${a[i]!.name} differs by up to ${worst}`);
  }
}

/** The resume-exact comparison: every logged step's loss and learning rate, every validation, and the weights. */
async function assertSameTraining(runDir: string, refDir: string, upToStep = Infinity): Promise<void> {
  const [a, b] = [await events(runDir), await events(refDir)];
  const pa = progress(a);
  const pb = new Map(progress(b).map((p) => [p.step, p]));
  assert.deepEqual(pa.map((p) => p.step), [...new Set(pa.map((p) => p.step))], 'each step logged once (what was logged after last/ was dropped on resume)');
  assert.ok(pa.length > 20);
  for (const p of pa.filter((x) => x.step <= upToStep)) {
    const q = pb.get(p.step);
    assert.ok(q, `step ${p.step} in the uninterrupted run`);
    assert.ok(Math.abs(p.loss - q!.loss) <= 1e-5 * Math.max(1, q!.loss), `step ${p.step}: loss ${p.loss} vs ${q!.loss}`);
    assert.equal(p.learningRate, q!.learningRate, `step ${p.step}: learning rate`);
  }
  const vb = new Map(validations(b).map((v) => [v.step, v]));
  for (const v of validations(a).filter((x) => vb.has(x.step))) {
    const w = vb.get(v.step)!;
    assert.ok(Math.abs(v.perplexity - w.perplexity) <= 1e-4 * w.perplexity, `validation at step ${v.step}: perplexity`);
    assert.equal(v.bleu, w.bleu, `validation at step ${v.step}: BLEU`);
  }
  if (upToStep === Infinity) {
    for (const kind of ['last', 'best']) {
      const [x, y] = await Promise.all([loadCheckpoint(path.join(runDir, kind)), loadCheckpoint(path.join(refDir, kind))]);
      assert.equal(x.meta.step, y.meta.step, `${kind}/ step`);
      assertSameArrays(x.weights, y.weights, `${kind}/ weights`);
    }
  }
}

describe('Slurm on a real cluster (npm run test:slurm)', function () {
  this.timeout(15 * 60 * 1000);
  let dir: string;
  let copyConfig: string;
  let revConfig: string;
  /** The time-limit run, submitted in before() so that it runs beside the other tests. */
  /** Steps of the time-limited run: 5 of its 20 s windows at the measured rate (see before()). */
  let timeLimitedSteps = 0;
  let timeLimited: { runDir: string; refDir: string; reference: Promise<{ code: number | null; stderr: string }> };

  before(async function () {
    if (!ENABLED) {
      this.skip(); // pending: `npm run test:slurm` sets SEQ2SEQ_SLURM_TESTS=1 after starting the local cluster
    }
    const status = spawnSync('bash', [CLUSTER, 'status'], { encoding: 'utf8' });
    assert.equal(status.status, 0, `the local cluster is not running (bash scripts/slurm/local-cluster.sh start): ${status.stdout}${status.stderr}`);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-slurm-'));
    const r = new Random(5);
    const copy = Array.from({ length: 400 }, () => {
      const w = Array.from({ length: 2 + r.int(4) }, () => 'abcdefg'[r.int(7)]);
      return `${w.join(' ')}\t${w.join(' ')}`;
    });
    await fs.writeFile(path.join(dir, 'copy.tsv'), copy.join('\n') + '\n');
    copyConfig = path.join(dir, 'tiny.seq2seq.json');
    await fs.writeFile(copyConfig, JSON.stringify({ data: { train: 'copy.tsv', maxLength: 10 }, model: { embeddingSize: 16, hiddenSize: 32, dropout: 0 }, train: { epochs: 100, batchSize: 16, learningRate: 0.005, logEvery: 5, validEvery: 50, earlyStoppingPatience: 0, threads: 1 } }));
    const rev = Array.from({ length: 1500 }, () => {
      const w = Array.from({ length: 3 + r.int(5) }, () => 'abcdefghij'[r.int(10)]);
      return `${w.join(' ')}\t${[...w].reverse().join(' ')}`;
    });
    await fs.writeFile(path.join(dir, 'rev.tsv'), rev.join('\n') + '\n');
    revConfig = path.join(dir, 'rev.seq2seq.json');
    // The time limit comes from the config's slurm section: 1 minute, the signal 40 s before it, so an
    // attempt trains for at most 20 s. How many steps that is depends on the machine: a short local run
    // measures the rate, and the training is made 5 windows long at that rate, so that it needs at least three
    // attempts (two requeues) on any machine, and not many more. (In one run an attempt trained 1,600–2,000
    // steps where the local rate predicted 1,300: 3.5 windows were only 2.25 attempts' worth.)
    const revTrain = { batchSize: 16, learningRate: 0.01, epochs: 50, maxSteps: 400, logEvery: 5, validEvery: 200, teacherForcing: 0.8, earlyStoppingPatience: 0, seed: 5, threads: 1 };
    const rev0 = { name: 'rev', data: { train: 'rev.tsv', maxLength: 12, maxValidSentences: 40 }, model: { embeddingSize: 32, hiddenSize: 64, attention: 'bahdanau', dropout: 0.2 }, train: revTrain };
    revConfig = path.join(dir, 'rev.seq2seq.json');
    await fs.writeFile(revConfig, JSON.stringify(rev0));
    const calibration = path.join(dir, 'calibration');
    const cal = cli(['train', '--config', revConfig, '--out', calibration]);
    assert.equal(cal.code, 0, cal.stderr);
    const p = progress(await events(calibration));
    const [from, to] = [p.find((x) => x.step >= 100)!, p[p.length - 1]!];
    const stepsPerSecond = (to.step - from.step) / (to.elapsedSeconds - from.elapsedSeconds);
    timeLimitedSteps = Math.max(1200, Math.ceil((stepsPerSecond * 20 * 5) / 200) * 200);
    await fs.writeFile(revConfig, JSON.stringify({ ...rev0, train: { ...revTrain, maxSteps: timeLimitedSteps }, slurm: { time: '1', signalSeconds: 40 } }));
    const runDir = path.join(dir, 'time-limited');
    const sub = cli(['train', '--config', revConfig, '--out', runDir, '--executor', 'slurm']);
    assert.equal(sub.code, 0, sub.stderr);
    const refDir = path.join(dir, 'uninterrupted');
    timeLimited = { runDir, refDir, reference: cliAsync(['train', '--config', revConfig, '--out', refDir]) };
  });

  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('a three-variant ablation runs as one job array, at most two at once; every run folder is whole and evaluates as the same ablation run locally', async () => {
    const runs = path.join(dir, 'slurm-runs');
    const r = cli(['ablate', '--config', copyConfig, '--set', 'model.attention=none,bahdanau,luong-dot', '--steps', '150', '--runs-dir', runs, '--executor', 'slurm', '--max-parallel', '2']);
    assert.equal(r.code, 0, r.stderr);
    const jobId = /submitted Slurm job array (\d+): 3 variants, at most 2 at once/.exec(r.stdout)?.[1];
    assert.ok(jobId, r.stdout);
    const ablationDir = path.join(runs, (await fs.readdir(runs)).find((d) => d.includes('-ablation-'))!);
    const summary = JSON.parse(await fs.readFile(path.join(ablationDir, 'ablation.json'), 'utf8'));
    assert.equal(summary.slurm.jobId, jobId);
    assert.deepEqual(summary.variants.map((v: { jobId: string; status: string }) => [v.jobId, v.status]), [0, 1, 2].map((i) => [`${jobId}_${i}`, 'submitted']));
    const runDirs: string[] = summary.runDirs;

    // Sample the queue while the array runs.
    let maxRunning = 0;
    let sawThrottled = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const q = await squeue(jobId!);
        maxRunning = Math.max(maxRunning, q.filter((x) => x.state === 'RUNNING').length);
        if (q.some((x) => x.state === 'PENDING')) sawThrottled = true;
        await sleep(200);
      }
    })();
    const statuses = await waitFor(runDirs, ended, 5 * 60_000, 'the array');
    sampling = false;
    await sampler;
    assert.deepEqual(statuses.map((s) => s.state), ['done', 'done', 'done']);
    assert.equal(maxRunning, 2, 'two tasks ran at once, never more');
    assert.ok(sawThrottled, 'the third task waited for a slot');

    // jobs status --json: one object per run; the ablation is collected into ablation.json.
    const js = cli(['jobs', 'status', ablationDir, '--json']);
    assert.equal(js.code, 0, js.stderr);
    const lines = js.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.run, l.jobId, l.state, l.step]), runDirs.map((d, i) => [d, `${jobId}_${i}`, 'done', 150]));
    const text = cli(['jobs', 'status', ablationDir]);
    assert.match(text.stdout, /test BLEU \(greedy\)/);
    const collected = JSON.parse(await fs.readFile(path.join(ablationDir, 'ablation.json'), 'utf8'));
    assert.deepEqual(collected.variants.map((v: { status: string; steps: number }) => [v.status, v.steps]), [['finished', 150], ['finished', 150], ['finished', 150]]);

    // Each run folder is whole.
    for (const [i, d] of runDirs.entries()) {
      for (const f of ['run.json', 'metrics.jsonl', 'valid.tsv', 'test.tsv', 'best/weights.json', 'last/weights.json', 'slurm.json', 'slurm-task.jsonl']) assert.ok(existsSync(path.join(d, f)), `${d}/${f}`);
      const ev = await events(d);
      assert.equal(ev[0]!.type, 'started');
      assert.deepEqual(ev[ev.length - 1], { ...ev[ev.length - 1], type: 'done', reason: 'max-steps', step: 150 });
      const task = await readTaskEvents(d);
      assert.deepEqual(task.map((e) => e.event), ['start', 'end']);
      const rec = (await readRunRecord(d))!;
      assert.equal(rec.jobId, `${jobId}_${i}`);
      assert.match(readFileSync(rec.logs!.out, 'utf8'), /done \(max-steps\) after 150 steps/);
      assert.equal(readFileSync(rec.logs!.err, 'utf8'), '', 'nothing on stderr');
    }

    // The same ablation on this machine, with the same seeds: the same test BLEU from `seq2seq eval`.
    const localRuns = path.join(dir, 'local-runs');
    const l = cli(['ablate', '--config', copyConfig, '--set', 'model.attention=none,bahdanau,luong-dot', '--steps', '150', '--runs-dir', localRuns, '--json']);
    assert.equal(l.code, 0, l.stderr);
    const localDirs: string[] = JSON.parse(l.stdout).runDirs;
    for (const [i, d] of runDirs.entries()) {
      assert.equal(readFileSync(path.join(d, 'test.tsv'), 'utf8'), readFileSync(path.join(localDirs[i]!, 'test.tsv'), 'utf8'), 'the same test split');
      const a = JSON.parse(cli(['eval', '--model', d, '--test', path.join(d, 'test.tsv'), '--json']).stdout);
      const b = JSON.parse(cli(['eval', '--model', localDirs[i]!, '--test', path.join(localDirs[i]!, 'test.tsv'), '--json']).stdout);
      assert.equal(a.bleu, b.bleu, `variant ${i}: BLEU on Slurm ${a.bleu} vs locally ${b.bleu}`);
      assert.ok(Math.abs(a.perplexity - b.perplexity) <= 1e-4 * b.perplexity, `variant ${i}: perplexity`);
      assert.equal(collected.variants[i].test.bleu, a.bleu, 'the task evaluated its run as eval does');
    }
    report(`array ${jobId}: at most ${maxRunning} running at once; test BLEU on Slurm = locally: ${collected.variants.map((v: { label: string; test: { bleu: number } }) => `${v.label} ${v.test.bleu.toFixed(2)}`).join(', ')}`);
  });

  it('scancel of one variant: it is marked cancelled (last/ written), the others finish, and train --resume continues it', async () => {
    const runs = path.join(dir, 'cancel-runs');
    const r = cli(['ablate', '--config', copyConfig, '--set', 'model.attention=none,bahdanau,luong-dot', '--steps', '600', '--runs-dir', runs, '--executor', 'slurm', '--max-parallel', '2']);
    assert.equal(r.code, 0, r.stderr);
    const jobId = /submitted Slurm job array (\d+)/.exec(r.stdout)![1]!;
    const ablationDir = path.join(runs, (await fs.readdir(runs)).find((d) => d.includes('-ablation-'))!);
    const runDirs: string[] = JSON.parse(await fs.readFile(path.join(ablationDir, 'ablation.json'), 'utf8')).runDirs;
    await waitFor([runDirs[0]!], (s) => s[0]!.state === 'running' && s[0]!.step >= 60, 3 * 60_000, 'variant 0 training');
    const sc = spawnSync('scancel', [`${jobId}_0`], { encoding: 'utf8' });
    assert.equal(sc.status, 0, sc.stderr);
    const statuses = await waitFor(runDirs, ended, 5 * 60_000, 'the array after scancel');
    assert.deepEqual(statuses.map((s) => s.state), ['cancelled', 'done', 'done']);
    const cancelledAt = statuses[0]!.step;
    assert.ok(cancelledAt > 0 && cancelledAt < 600, `cancelled mid-way (step ${cancelledAt})`);
    const task = await readTaskEvents(runDirs[0]!);
    assert.deepEqual(task.map((e) => e.event), ['start', 'end']);
    assert.equal((task[1] as { how: string }).how, 'cancelled');
    const lastStep = (await loadCheckpoint(path.join(runDirs[0]!, 'last'))).meta.step;
    assert.equal(lastStep, cancelledAt, 'last/ written at the step it stopped');
    assert.match(cli(['jobs', 'status', runDirs[0]!]).stdout, /cancelled/);
    cli(['jobs', 'status', ablationDir]);
    const summary = JSON.parse(await fs.readFile(path.join(ablationDir, 'ablation.json'), 'utf8'));
    assert.deepEqual(summary.variants.map((v: { status: string }) => v.status), ['stopped', 'finished', 'finished']);

    const resumed = cli(['train', '--resume', '--out', runDirs[0]!]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`resumed from step ${lastStep} `));
    assert.match(resumed.stdout, /done \(max-steps\) after 600 steps/);
    const [after] = await statusOf([runDirs[0]!], new SlurmExecutor({ minPollMs: 0 }));
    assert.deepEqual([after!.state, after!.step], ['done', 600]);
    report(`${jobId}_0 cancelled at step ${cancelledAt} (last/ there), ${jobId}_1 and _2 done; train --resume continued it from ${lastStep} to 600`);
  });

  it('faults: a refused submission shows Slurm\'s message and leaves nothing; a failing task names its .err; Node.js missing on the node; hostile folder names', async () => {
    const runs = path.join(dir, 'fault-runs');
    const bad = cli(['ablate', '--config', copyConfig, '--set', 'model.attention=none,bahdanau', '--steps', '10', '--runs-dir', runs, '--executor', 'slurm', '--partition', 'nosuch']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^seq2seq: Slurm refused the job: invalid partition specified: nosuch; Invalid partition name specified\n/);
    assert.ok(!existsSync(runs) || (await fs.readdir(runs)).length === 0, 'no folder left behind');
    const long = cli(['train', '--config', copyConfig, '--out', path.join(runs, 'too-long'), '--executor', 'slurm', '--partition', 'short', '--time', '10']);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /Slurm refused the job: Requested time limit is invalid \(missing or exceeds some limit\)/);
    assert.ok(!existsSync(path.join(runs, 'too-long')));

    // A task that fails: its data file is gone by the time it starts (--begin delays the start).
    const data = path.join(dir, 'vanishing.tsv');
    await fs.copyFile(path.join(dir, 'copy.tsv'), data);
    const cfg = path.join(dir, 'vanishing.seq2seq.json');
    await fs.writeFile(cfg, JSON.stringify({ data: { train: 'vanishing.tsv' }, train: { maxSteps: 10 } }));
    const failing = path.join(runs, 'failing');
    assert.equal(cli(['train', '--config', cfg, '--out', failing, '--executor', 'slurm', '--sbatch-arg=--begin=now+3']).code, 0);
    await fs.rm(data);
    // Node.js missing on the node (the setup lines leave it off the PATH).
    const nonode = path.join(runs, 'no-node');
    assert.equal(cli(['train', '--config', copyConfig, '--out', nonode, '--executor', 'slurm', '--setup', 'PATH=/nonexistent']).code, 0);
    // A folder name with quotes, $(), backticks, a line break and spaces, and a config name to match.
    const hostile = path.join(runs, `it's "q" $(touch PWNED) \`touch PWNED\` a\nb`);
    assert.equal(cli(['train', '--config', copyConfig, '--out', hostile, '--executor', 'slurm', '--set', 'name=x $(touch PWNED)', '--set', 'train.maxSteps=20']).code, 0);

    const [f, n, h] = await waitFor([failing, nonode, hostile], ended, 3 * 60_000, 'the fault jobs');
    assert.equal(f!.state, 'failed');
    assert.equal(f!.note!.kind, 'task-error');
    const status = cli(['jobs', 'status', failing]);
    assert.equal(status.code, 1);
    assert.ok(status.stdout.includes(f!.logs!.err), `the .err path is named: ${status.stdout}`);
    assert.match(status.stdout, /vanishing\.tsv/);
    assert.match(f!.errTail!, /training failed: .*vanishing\.tsv/);
    assert.equal(n!.state, 'failed');
    assert.deepEqual([n!.note!.kind, (n!.note as { logWritten?: boolean }).logWritten], ['never-started', true]);
    assert.match(n!.errTail!, /Node\.js \(node\) is not on the PATH of .* after the setup lines/);
    assert.match(cli(['jobs', 'logs', nonode, '--err']).stdout, /Node\.js \(node\) is not on the PATH/);
    assert.equal(h!.state, 'done', JSON.stringify(h));
    assert.ok(existsSync(path.join(hostile, 'best', 'weights.json')));
    const out = readFileSync((await readRunRecord(hostile))!.logs!.out, 'utf8');
    assert.ok(out.includes(hostile), 'the task got the exact folder');
    const pwned = spawnSync('find', [dir, '-name', 'PWNED'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(pwned, '', 'no command in a name was run');
  });

  it('a run folder the compute node cannot see: the job fails and status says to use a shared file system', async function () {
    // A tmpfs mounted in a private mount namespace: this process (the "login node") sees the folder, slurmd does not.
    const script = path.join(dir, 'private.sh');
    const mnt = path.join(dir, 'private');
    await fs.mkdir(mnt);
    await fs.writeFile(
      script,
      [
        'set -e',
        `mount -t tmpfs none ${shellQuote(mnt)}`,
        `cp ${shellQuote(path.join(dir, 'copy.tsv'))} ${shellQuote(copyConfig)} ${shellQuote(mnt)}/`,
        `"$NODE" ${shellQuote(BIN)} train --config ${shellQuote(path.join(mnt, 'tiny.seq2seq.json'))} --out ${shellQuote(path.join(mnt, 'run'))} --executor slurm >/dev/null`,
        'for i in $(seq 1 60); do',
        `  s=$("$NODE" ${shellQuote(BIN)} jobs status --json ${shellQuote(path.join(mnt, 'run'))} || true)`,
        '  case "$s" in *\'"state":"queued"\'*|*\'"state":"running"\'*) sleep 1 ;; *) break ;; esac',
        'done',
        'echo "$s"',
        `"$NODE" ${shellQuote(BIN)} jobs status ${shellQuote(path.join(mnt, 'run'))} || true`,
      ].join('\n'),
    );
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', script], { encoding: 'utf8', env: { ...process.env, NODE: process.execPath, SEQ2SEQ_LOCALE: 'en' } });
    if (r.status !== 0 && /unshare failed|Operation not permitted/.test(r.stderr)) this.skip(); // no mount namespaces here
    assert.equal(r.status, 0, r.stderr);
    const [json, ...text] = r.stdout.trim().split('\n');
    const s = JSON.parse(json!);
    assert.deepEqual([s.state, s.note.kind, s.note.logWritten], ['failed', 'never-started', false]);
    assert.match(text.join('\n'), /the compute node cannot see the folder\. Put the runs folder on a file system the compute nodes share/);
  });

  it('a time limit shorter than the training: signalled, requeued and resumed at least twice; losses, validations and weights equal an uninterrupted run', async () => {
    const { runDir, refDir, reference } = timeLimited;
    const ref = await reference;
    assert.equal(ref.code, 0, ref.stderr);
    const [s] = await waitFor([runDir], ended, 10 * 60_000, 'the time-limited run');
    assert.equal(s!.state, 'done', JSON.stringify(s));
    const task = await readTaskEvents(runDir);
    const requeues = task.filter((e) => e.event === 'requeue');
    const starts = task.filter((e) => e.event === 'start') as { restart: number }[];
    assert.ok(requeues.length >= 2, `requeued ${requeues.length} times`);
    assert.deepEqual(starts.map((e) => e.restart), starts.map((_, i) => i), 'attempt i runs with SLURM_RESTART_COUNT i');
    assert.equal(task[task.length - 1]!.event, 'end');
    const log = readFileSync((await readRunRecord(runDir))!.logs!.out, 'utf8');
    for (let i = 1; i <= starts.length; i++) assert.match(log, new RegExp(`\\(attempt ${i}\\)`), 'every attempt appended to the one log');
    assert.equal((log.match(/SIGUSR1: the time limit is near/g) ?? []).length, requeues.length);
    for (const q of requeues as { step: number }[]) assert.match(log, new RegExp(`resumed from step ${q.step} `));
    assert.equal(s!.restarts, requeues.length);
    await assertSameTraining(runDir, refDir);
    report(`${starts.length} attempts, requeued at steps ${(requeues as { step: number }[]).map((q) => q.step).join(', ')}; ${timeLimitedSteps} steps with the losses, validations and last/ and best/ weights of the uninterrupted run (≤ 1e-5)`);
  });

  it('a node that dies mid-run: Slurm requeues the job, the next attempt takes over the lock and resumes from last/, with the losses of an uninterrupted run', async () => {
    const cfg = JSON.parse(readFileSync(revConfig, 'utf8'));
    cfg.train.maxSteps = 1200;
    delete cfg.slurm;
    const c = path.join(dir, 'node-death.seq2seq.json');
    await fs.writeFile(c, JSON.stringify(cfg));
    const runDir = path.join(dir, 'node-death');
    assert.equal(cli(['train', '--config', c, '--out', runDir, '--executor', 'slurm']).code, 0);
    await waitFor([runDir], (x) => x[0]!.state === 'running' && x[0]!.step >= 450, 3 * 60_000, 'the run before the node dies');
    const jobId = (await readRunRecord(runDir))!.jobId!;
    const start = (await readTaskEvents(runDir)).find((e) => e.event === 'start') as { pid: number };
    const home = process.env.SEQ2SEQ_SLURM_HOME ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'seq2seq-lab-slurm');
    try {
      // The node dies: slurmd, the job's step daemon and the task are gone at once (no signal handler runs).
      process.kill(Number(readFileSync(path.join(home, 'slurmd.pid'), 'utf8')), 'SIGKILL');
      spawnSync('pkill', ['-KILL', '-f', `slurmstepd: \\[${jobId}\\.`]);
      process.kill(start.pid, 'SIGKILL');
      const down = spawnSync('scontrol', ['update', 'nodename=localhost', 'state=down', 'reason=seq2seq-test-node-died'], { encoding: 'utf8' });
      assert.equal(down.status, 0, down.stderr);
    } finally {
      const up = spawnSync('bash', [CLUSTER, 'start'], { encoding: 'utf8' });
      assert.equal(up.status, 0, up.stderr);
    }
    const [s] = await waitFor([runDir], ended, 5 * 60_000, 'the requeued run');
    assert.equal(s!.state, 'done', JSON.stringify(s));
    const starts = (await readTaskEvents(runDir)).filter((e) => e.event === 'start') as { restart: number }[];
    assert.deepEqual(starts.map((e) => e.restart), [0, 1], 'Slurm ran it again (SLURM_RESTART_COUNT 1)');
    const log = readFileSync((await readRunRecord(runDir))!.logs!.out, 'utf8');
    assert.match(log, /took over the run folder's lock left by a training that no longer runs/);
    const resumedFrom = Number(/resumed from step (\d+) /.exec(log)![1]);
    assert.ok(resumedFrom >= 400 && resumedFrom % 100 === 0, `resumed from the last/ checkpoint (step ${resumedFrom})`);
    await assertSameTraining(runDir, timeLimited.refDir, 1200);
    report(`killed at step ≥ 450, requeued by Slurm (SLURM_RESTART_COUNT 1), resumed from step ${resumedFrom}; losses of steps 5–1200 equal the uninterrupted run's`);
  });
});
