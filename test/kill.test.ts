/**
 * Kill loop: real `seq2seq train` processes on one run folder, each killed
 * with SIGKILL — at a random moment, or while a checkpoint is being written
 * (a temporary folder in the run folder, or the instant between the two
 * renames of `saveCheckpoint`). The test hook SEQ2SEQ_TEST_CHECKPOINT_PAUSE_MS
 * (see src/core/runs/checkpoint.ts) slows the checkpoint writer so those windows
 * are wide enough to hit. After every kill the run folder must load (`eval`,
 * `translate`, and the next process is `train --resume`), each checkpoint must
 * be complete and from one step, and metrics.jsonl must be readable with no
 * event recorded twice. Needs `npm run build` (npm test runs it first).
 */
import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import { existsSync, promises as fs, readdirSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findCheckpoint, loadCheckpoint } from '../src/core/runs/checkpoint';
import { Random } from '../src/core/random';
import { Translator } from '../src/core/decoding/translator';
import { parseMetricsJsonl } from '../src/host/logic/modelsList';

const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');
const KILLS = 54;
const PAUSE_MS = 15;

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}, input?: string): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  child.stdin!.end(input ?? '');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => text, exited };
}

async function run(args: string[], input?: string): Promise<{ code: number | null; out: string }> {
  const p = start(args, {}, input);
  const code = await p.exited;
  return { code, out: p.out() };
}

/** Entries a checkpoint write in progress leaves in the run folder. */
function inFlight(runDir: string): string[] {
  return readdirSync(runDir).filter((n) => /^\.(best|last)\.(tmp-|prev$)/.test(n));
}

/** Resolves when `cond` holds (polled every 2 ms) or rejects after `ms`. */
function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const timer = setInterval(() => {
      let ok = false;
      try {
        ok = cond();
      } catch {
        /* folder changing under us */
      }
      if (ok) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - t0 > ms) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 2);
  });
}

/** Checks one checkpoint folder: loads as a model, and every file in it is from one step. */
async function checkCheckpoint(dir: string, kind: 'best' | 'last'): Promise<number> {
  const ckpt = await loadCheckpoint(dir);
  assert.equal(ckpt.meta.kind, kind, `${dir}: kind`);
  if (kind === 'last') {
    assert.ok(ckpt.optimizer && ckpt.optimizer.length > 0, `${dir}: optimizer state`);
    assert.equal(ckpt.trainerState?.step, ckpt.meta.step, `${dir}: trainer.json is from another step than weights.json`);
    const opt = JSON.parse(await fs.readFile(path.join(dir, 'optimizer.json'), 'utf8'));
    assert.equal(opt.step, ckpt.meta.step, `${dir}: optimizer.json is from another step than weights.json`);
  }
  const t = await Translator.load(dir); // weights fit the run's model
  t.dispose();
  return ckpt.meta.step;
}

/** metrics.jsonl: only a torn last line may be unreadable, and no step's events appear twice. */
async function checkMetrics(runDir: string): Promise<void> {
  const text = await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8');
  const lines = text.split('\n');
  const { events, badLines } = parseMetricsJsonl(text);
  const lastLine = text.endsWith('\n') ? lines.length - 1 : lines.length;
  assert.ok(badLines.every((n) => n === lastLine), `unreadable lines ${badLines} (of ${lastLine})`);
  for (const type of ['progress', 'validation'] as const) {
    const steps = events.filter((e) => e.type === type).map((e) => (e as { step: number }).step);
    steps.forEach((s, i) => assert.ok(i === 0 || s > steps[i - 1], `${type} step ${s} recorded after step ${steps[i - 1]}`));
  }
  const lastSteps = events.filter((e) => e.type === 'checkpoint' && e.kind === 'last').map((e) => (e as { step: number }).step);
  lastSteps.forEach((s, i) => assert.ok(i === 0 || s > lastSteps[i - 1], `last checkpoint ${s} recorded after ${lastSteps[i - 1]}`));
}

describe('killed trainings (SIGKILL at random moments and mid-checkpoint)', function () {
  this.timeout(10 * 60 * 1000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-kill-'));
    const r = new Random(17);
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const w = Array.from({ length: 2 + r.int(4) }, () => 'abcdefg'[r.int(7)]);
      lines.push(`${w.join(' ')}\t${w.join(' ')}`);
    }
    await fs.writeFile(path.join(dir, 'copy.tsv'), lines.join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'test.tsv'), lines.slice(0, 5).join('\n') + '\n');
    await fs.writeFile(
      path.join(dir, 'tiny.seq2seq.json'),
      JSON.stringify({
        data: { train: 'copy.tsv', maxLength: 10, maxValidSentences: 8 },
        model: { embeddingSize: 8, hiddenSize: 16, dropout: 0.1 },
        // A checkpoint (last, often best too) every 2 steps; the run never ends on its own.
        train: { epochs: 1000, batchSize: 16, logEvery: 1, validEvery: 2, earlyStoppingPatience: 0, decayPatience: 0, threads: 1 },
      }),
    );
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it(`${KILLS} kills: the run folder always loads, resumes and keeps whole checkpoints`, async () => {
    const runDir = path.join(dir, 'run');
    const config = path.join(dir, 'tiny.seq2seq.json');
    const random = new Random(2026);
    const counts = { midCheckpoint: 0, betweenRenames: 0, writingTemp: 0, elsewhere: 0, noCheckpointYet: 0 };
    let expectedResume: number | undefined;
    let leftovers: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < KILLS; i++) {
      // Mode 0: kill when a checkpoint is between its renames; 1: while its temporary folder is
      // being written; 2: at a random moment (half of them without the slowed-down writer).
      const mode = i % 3;
      const paused = mode !== 2 || random.next() < 0.5;
      const p = start(['train', '--config', config, '--out', runDir, '--resume'], paused ? { SEQ2SEQ_TEST_CHECKPOINT_PAUSE_MS: String(PAUSE_MS) } : {});
      const context = () => `kill ${i + 1} (mode ${mode}):\n${p.out().slice(-2000)}`;
      const died = p.exited.then((code) => {
        throw new Error(`train exited by itself (code ${code}) before kill ${i + 1}\n${p.out().slice(-2000)}`);
      });
      died.catch(() => undefined); // handled by the races below, or moot once killed
      if (mode === 2) {
        await Promise.race([new Promise((r) => setTimeout(r, 300 + random.next() * 1500)), died]);
      } else {
        const want = mode === 0 ? /^\.(best|last)\.prev$/ : /^\.(best|last)\.tmp-/;
        // Only entries this process writes count: once it has taken a step, the previous kill's are gone.
        await Promise.race([
          waitFor(() => p.out().includes('\nstep ') && readdirSync(runDir).some((n) => want.test(n)), 60_000, `mode ${mode} window`),
          died,
        ]).catch((e) => {
          p.child.kill('SIGKILL');
          throw new Error(`${(e as Error).message}\n${context()}`);
        });
        if (mode === 1) await new Promise((r) => setTimeout(r, random.next() * PAUSE_MS * 3));
      }
      p.child.kill('SIGKILL');
      await p.exited;
      const out = p.out();

      // The previous kill's temporary folders (named by its pid) were removed at start, and the
      // process resumed from the step last/ held.
      if (out.includes('\nstep ')) {
        for (const n of leftovers.filter((n) => n.includes('.tmp-'))) assert.ok(!existsSync(path.join(runDir, n)), `${n} left by the previous kill is still there\n${context()}`);
        if (expectedResume !== undefined) assert.match(out, new RegExp(`resumed from step ${expectedResume} \\(`), context());
      }
      assert.doesNotMatch(out, /seq2seq: /, context()); // no error message

      leftovers = existsSync(runDir) ? inFlight(runDir) : [];
      if (leftovers.length) counts.midCheckpoint++;
      else counts.elsewhere++;
      if (leftovers.some((n) => n.endsWith('.prev'))) counts.betweenRenames++;
      else if (leftovers.length) counts.writingTemp++;

      const best = existsSync(runDir) ? await findCheckpoint(runDir, 'best') : undefined;
      const last = existsSync(runDir) ? await findCheckpoint(runDir, 'last') : undefined;
      if (!best && !last) {
        counts.noCheckpointYet++;
        expectedResume = undefined;
        continue;
      }
      const [ev, tr] = await Promise.all([
        run(['eval', '--model', runDir, '--test', path.join(dir, 'test.tsv'), '--json']),
        run(['translate', '--model', runDir], 'a b c\nd e\n'),
        best && checkCheckpoint(best, 'best'),
        last && checkCheckpoint(last, 'last').then((s) => (expectedResume = s)),
        checkMetrics(runDir),
      ]);
      assert.equal(ev.code, 0, `eval after ${context()}\n${ev.out}`);
      assert.equal(JSON.parse(ev.out).sentences, 5);
      assert.equal(tr.code, 0, `translate after ${context()}\n${tr.out}`);
      assert.equal(tr.out.split('\n').length, 3, tr.out);
    }
    // Finally, a resumed run goes on to the end and leaves a clean folder and a consistent record.
    const lastEpoch = (await loadCheckpoint((await findCheckpoint(runDir, 'last'))!)).meta.epoch;
    const fin = await run(['train', '--config', config, '--out', runDir, '--resume', '--epochs', String(lastEpoch + 1)]);
    assert.equal(fin.code, 0, fin.out);
    assert.match(fin.out, /done \(epochs\)/);
    assert.deepEqual(inFlight(runDir), []);
    assert.ok(!existsSync(path.join(runDir, 'train.lock')), 'the lock is released');
    await checkMetrics(runDir);
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `      ${KILLS} kills in ${seconds.toFixed(0)} s: ${counts.midCheckpoint} mid-checkpoint (${counts.betweenRenames} between the two renames, ` +
        `${counts.writingTemp} while writing the temporary folder), ${counts.elsewhere} elsewhere (${counts.noCheckpointYet} before the first checkpoint); failures: 0`,
    );
    assert.ok(counts.midCheckpoint >= KILLS / 2, `only ${counts.midCheckpoint} kills landed mid-checkpoint`);
  });
});
