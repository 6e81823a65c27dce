/**
 * One training per run folder (src/core/runs/runLock.ts): the lock file, refusing
 * a second training with a message naming the holder, taking over a lock
 * whose process is gone — in-process and with real `seq2seq train`
 * processes (needs `npm run build`).
 */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeError } from '../src/core/errors';
import { acquireRunLock, LOCK_FILE, releaseThreadLock, RunLockedError } from '../src/core/runs/runLock';
import { Random } from '../src/core/random';

const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');

/** A pid that is certainly not running: a child process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('run folder lock', function () {
  this.timeout(5 * 60 * 1000);
  let dir: string;
  let n = 0;
  const fresh = async () => {
    const d = path.join(dir, `run${n++}`);
    await fs.mkdir(d);
    return d;
  };
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-lock-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('records pid, host, thread and start time, and refuses a second holder with a message naming the first', async () => {
    const runDir = await fresh();
    const lock = await acquireRunLock(runDir);
    const info = JSON.parse(await fs.readFile(path.join(runDir, LOCK_FILE), 'utf8'));
    assert.equal(info.pid, process.pid);
    assert.equal(info.host, os.hostname());
    assert.equal(info.threadId, 0);
    assert.ok(Math.abs(Date.parse(info.started) - Date.now()) < 60_000);
    const err = await acquireRunLock(runDir).then(
      () => assert.fail('a second lock was granted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RunLockedError);
    assert.match(err.message, new RegExp(`in use by another training \\(pid ${process.pid} on host "${os.hostname()}", started ${info.started.replace(/\./g, '\\.')}`));
    assert.match(err.message, /train\.lock/);
    assert.match(err.message, /delete the lock file/);
    assert.deepEqual(err.holder, info);
    assert.equal(describeError(err).expected, true, 'shown to users as a plain message');
    await lock.release();
    assert.ok(!existsSync(path.join(runDir, LOCK_FILE)));
    await lock.release(); // idempotent
    await (await acquireRunLock(runDir)).release();
  });

  it('takes over a lock whose process is gone, and never one from another host', async () => {
    const runDir = await fresh();
    const stale = { pid: deadPid(), host: os.hostname(), threadId: 0, started: '2026-01-01T00:00:00.000Z' };
    await fs.writeFile(path.join(runDir, LOCK_FILE), JSON.stringify(stale));
    const lock = await acquireRunLock(runDir);
    assert.deepEqual(lock.tookOverFrom, stale);
    assert.equal(JSON.parse(await fs.readFile(path.join(runDir, LOCK_FILE), 'utf8')).pid, process.pid);
    await lock.release();

    await fs.writeFile(path.join(runDir, LOCK_FILE), JSON.stringify({ ...stale, host: `not-${os.hostname()}` }));
    await assert.rejects(acquireRunLock(runDir), (e: Error) => e instanceof RunLockedError && /on host "not-/.test(e.message));

    // An unreadable lock (its writer killed before writing it) is stale once it is old.
    await fs.writeFile(path.join(runDir, LOCK_FILE), '');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(path.join(runDir, LOCK_FILE), old, old);
    const again = await acquireRunLock(runDir);
    await again.release();
    assert.deepEqual(await fs.readdir(runDir), [], 'no lock or aside file left');
  });

  it('of several contenders for a stale lock, exactly one wins', async () => {
    for (let round = 0; round < 30; round++) {
      const runDir = await fresh();
      await fs.writeFile(path.join(runDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), threadId: 0, started: 'x' }));
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => acquireRunLock(runDir)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${won.length} winners`);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof RunLockedError, String(r.reason));
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireRunLock>>>).value.release();
    }
  });

  it('a takeover mutex left by a killed contender expires and does not block the takeover', async () => {
    const runDir = await fresh();
    await fs.writeFile(path.join(runDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), threadId: 0, started: 'x' }));
    const mutex = path.join(runDir, `${LOCK_FILE}.takeover`);
    await fs.writeFile(mutex, '');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(mutex, old, old);
    const lock = await acquireRunLock(runDir);
    assert.equal(lock.tookOverFrom?.started, 'x');
    await lock.release();
    assert.deepEqual(await fs.readdir(runDir), [], 'no lock or mutex left');
  });

  it('a fresh takeover mutex of a contender that was killed (its pid gone) is removed at once; an empty one or a fresh empty lock file is waited out, not given up on', async () => {
    // A killed takeover: the stale lock and a mutex naming a process that no longer exists.
    const runDir = await fresh();
    await fs.writeFile(path.join(runDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), threadId: 0, started: 'x' }));
    const mutex = path.join(runDir, `${LOCK_FILE}.takeover`);
    await fs.writeFile(mutex, JSON.stringify({ pid: deadPid(), host: os.hostname(), threadId: 0, started: 'y' }));
    let t0 = Date.now();
    const lock = await acquireRunLock(runDir);
    assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms`);
    assert.equal(lock.tookOverFrom?.started, 'x');
    await lock.release();
    // Killed right after creating its mutex (empty, fresh): waited out until it expires (10 s), where
    // 20 quick attempts used to give up after about a second.
    const second = await fresh();
    await fs.writeFile(path.join(second, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), threadId: 0, started: 'z' }));
    await fs.writeFile(path.join(second, `${LOCK_FILE}.takeover`), '');
    t0 = Date.now();
    const lock2 = await acquireRunLock(second);
    assert.ok(Date.now() - t0 >= 9_000, `took ${Date.now() - t0} ms`);
    assert.equal(lock2.tookOverFrom?.started, 'z');
    await lock2.release();
    // Killed right after creating the lock file (empty, fresh): likewise.
    const third = await fresh();
    await fs.writeFile(path.join(third, LOCK_FILE), '');
    const lock3 = await acquireRunLock(third);
    await lock3.release();
    assert.deepEqual([...(await fs.readdir(runDir)), ...(await fs.readdir(second)), ...(await fs.readdir(third))], []);
  });

  it("releaseThreadLock removes only the given thread's lock of this process", async () => {
    const runDir = await fresh();
    const write = (threadId: number, pid = process.pid) =>
      fs.writeFile(path.join(runDir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), threadId, started: 'x' }));
    await write(7);
    releaseThreadLock(runDir, 8);
    assert.ok(existsSync(path.join(runDir, LOCK_FILE)));
    await write(7, process.pid + 1);
    releaseThreadLock(runDir, 7);
    assert.ok(existsSync(path.join(runDir, LOCK_FILE)));
    await write(7);
    releaseThreadLock(runDir, 7);
    assert.ok(!existsSync(path.join(runDir, LOCK_FILE)));
    releaseThreadLock(runDir, 7); // no lock: no error
  });

  it('seq2seq train: a second training on the folder is refused naming the first; after a SIGKILL the next takes over', async () => {
    const r = new Random(3);
    const lines = Array.from({ length: 100 }, () => {
      const w = Array.from({ length: 2 + r.int(3) }, () => 'abcde'[r.int(5)]).join(' ');
      return `${w}\t${w}`;
    });
    await fs.writeFile(path.join(dir, 'copy.tsv'), lines.join('\n') + '\n');
    const config = path.join(dir, 'tiny.seq2seq.json');
    await fs.writeFile(
      config,
      JSON.stringify({
        data: { train: 'copy.tsv', maxLength: 10, maxValidSentences: 8 },
        model: { embeddingSize: 8, hiddenSize: 16 },
        train: { epochs: 1000, batchSize: 16, logEvery: 1, validEvery: 5, earlyStoppingPatience: 0, decayPatience: 0, threads: 1 },
      }),
    );
    const runDir = path.join(dir, 'cli-run');
    const first = spawn(process.execPath, [BIN, 'train', '--config', config, '--out', runDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => first.on('exit', resolve));
    try {
      while (!/\nstep \d+/.test(out)) {
        if (first.exitCode !== null) assert.fail(`the first training ended: ${out}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      const second = spawnSync(process.execPath, [BIN, 'train', '--config', config, '--out', runDir, '--resume'], { encoding: 'utf8' });
      assert.equal(second.status, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`seq2seq: .*cli-run is in use by another training \\(pid ${first.pid} on host "${os.hostname()}", started 20`));
      assert.equal(first.exitCode, null, 'the first training keeps running');
    } finally {
      first.kill('SIGKILL');
      await exited;
    }
    const third = spawnSync(process.execPath, [BIN, 'train', '--config', config, '--out', runDir, '--resume', '--epochs', '1'], { encoding: 'utf8' });
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stdout, new RegExp(`took over the run folder's lock left by a training that no longer runs \\(pid ${first.pid} on host`));
    assert.ok(!existsSync(path.join(runDir, LOCK_FILE)), 'released at the end');
  });
});
