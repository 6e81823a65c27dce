/**
 * Disk full or unwritable run folder, simulated by injected `fs` failures
 * (ENOSPC, EACCES, EROFS) in the trainer's own writes: training stops with a
 * RunFolderWriteError naming the file, the reason and the checkpoints kept;
 * those checkpoints load, and `train --resume` continues once writes work.
 */
import { strict as assert } from 'assert';
import * as fsModule from 'fs';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findCheckpoint, loadCheckpoint } from '../src/core/runs/checkpoint';
import { withDefaults } from '../src/core/config/config';
import { describeError, RunFolderWriteError } from '../src/core/errors';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';
import { parseMetricsJsonl } from '../src/host/logic/modelsList';

const PAIRS = ['a b c', 'b c d', 'c d e', 'd e a', 'e a b', 'a c e', 'b d a', 'c e b'].map((s) => `${s}\t${s}`);

type Op = 'open' | 'write' | 'rename' | 'mkdir';
/** Decides, per call, whether an operation on `file` fails and with which code. */
type Rule = (op: Op, file: string) => string | undefined;

function fsError(code: string, syscall: string, file?: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: simulated failure, ${syscall}${file ? ` '${file}'` : ''}`);
  e.code = code;
  e.syscall = syscall;
  if (file) e.path = file;
  return e;
}

describe('write failures in the run folder (disk full, unwritable)', function () {
  this.timeout(5 * 60 * 1000);
  const real = { open: fs.open, rename: fs.rename, mkdir: fs.mkdir };
  let rule: Rule = () => undefined;
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-wfail-'));
    await fs.writeFile(path.join(dir, 'train.tsv'), PAIRS.join('\n') + '\n');
    const p = fsModule.promises as unknown as Record<string, unknown>;
    p.open = async (file: string, flags?: string, mode?: number) => {
      const code = rule('open', String(file));
      if (code) throw fsError(code, 'open', String(file));
      const fh = await real.open(file, flags, mode);
      if (!flags || flags === 'r') return fh;
      // Writes through the handle fail as a full disk does: after the call, nothing written.
      const check = () => {
        const c = rule('write', String(file));
        if (c) throw fsError(c, 'write');
      };
      const { write, writeFile } = fh;
      return Object.assign(fh, {
        write: (...args: unknown[]) => (check(), (write as (...a: unknown[]) => unknown).apply(fh, args)),
        writeFile: (...args: unknown[]) => (check(), (writeFile as (...a: unknown[]) => unknown).apply(fh, args)),
      });
    };
    p.rename = async (from: string, to: string) => {
      const code = rule('rename', String(to));
      if (code) throw fsError(code, 'rename', String(from));
      return real.rename(from, to);
    };
    p.mkdir = async (file: string, opts?: fsModule.MakeDirectoryOptions) => {
      const code = rule('mkdir', String(file));
      if (code) throw fsError(code, 'mkdir', String(file));
      return real.mkdir(file, opts);
    };
  });
  after(async () => {
    Object.assign(fsModule.promises, real);
    await fs.rm(dir, { recursive: true, force: true });
  });
  afterEach(() => (rule = () => undefined));

  const config = (epochs = 20) =>
    withDefaults({
      data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
      model: { embeddingSize: 4, hiddenSize: 8, dropout: 0 },
      // One batch per epoch (step n = epoch n); a validation and best/ + last/ every 3 steps.
      train: { batchSize: 8, epochs, logEvery: 1, validEvery: 3, earlyStoppingPatience: 0, decayPatience: 0, threads: 1 },
    });

  /** After a failed run: the checkpoints load, from the steps the message names, nothing temporary is left. */
  async function checkKept(runDir: string, lastStep: number): Promise<void> {
    const last = await loadCheckpoint((await findCheckpoint(runDir, 'last'))!);
    assert.equal(last.meta.step, lastStep);
    (await Translator.load(runDir)).dispose();
    (await Translator.load(path.join(runDir, 'last'))).dispose();
    const names = await fs.readdir(runDir);
    assert.deepEqual(names.filter((n) => n.includes('.tmp-') || n === 'train.lock'), [], `left behind: ${names}`);
    const { events, badLines } = parseMetricsJsonl(await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'));
    assert.deepEqual(badLines, []);
    const recorded = events.filter((e) => e.type === 'checkpoint' && e.kind === 'last').map((e) => (e as { step: number }).step);
    assert.equal(recorded[recorded.length - 1], lastStep, 'metrics.jsonl records no checkpoint that was not written');
  }

  /**
   * Train into `runDir` with the write failure `fail` armed once last/ of `armedAfter` is written.
   * @returns what the training threw (fails the test when it finished instead)
   */
  async function trainUntilFailure(runDir: string, armedAfter: number, fail: (op: string, file: string) => string | undefined): Promise<unknown> {
    let armed = false;
    rule = (op, file) => (armed ? fail(op, file) : undefined);
    return train({
      config: config(),
      outDir: runDir,
      resume: false,
      listener: (e) => {
        if (e.type === 'checkpoint' && e.kind === 'last' && e.step === armedAfter) armed = true;
      },
    }).then(
      () => assert.fail('training went on'),
      (e: unknown) => e,
    );
  }

  it('disk full while writing a checkpoint: stops with a message naming the file and the checkpoints kept; resumes later', async () => {
    const runDir = path.join(dir, 'enospc');
    // The 9th step's save fails.
    const err = await trainUntilFailure(runDir, 6, (op, file) => (op === 'write' && file.includes('.last.tmp-') && file.endsWith('optimizer.bin') ? 'ENOSPC' : undefined));
    assert.ok(err instanceof RunFolderWriteError, String(err));
    assert.equal(err.code, 'ENOSPC');
    assert.match(
      err.message,
      /^Training stopped at step 9: cannot write .*\.last\.tmp-[\d-]+[/\\]optimizer\.bin: no space left on the disk \(ENOSPC\)\. The run folder keeps last\/ from step 6 and best\/ from step \d+, which load as they are; once the cause is fixed, continue with "train --resume" \(or Resume in VS Code\)\. Free some disk space\.$/,
    );
    assert.equal(describeError(err).expected, true, 'shown as a plain message (CLI exit code 1)');
    await checkKept(runDir, 6);

    rule = () => undefined;
    const done = await train({ config: config(12), outDir: runDir, resume: true });
    assert.equal(done.reason, 'epochs');
    assert.equal(done.step, 12);
  });

  it('metrics.jsonl cannot be appended to: the same, naming metrics.jsonl', async () => {
    const runDir = path.join(dir, 'metrics-full');
    const err = await trainUntilFailure(runDir, 3, (op, file) => (op === 'write' && file.endsWith('metrics.jsonl') ? 'ENOSPC' : undefined));
    assert.ok(err instanceof RunFolderWriteError, String(err));
    assert.match(err.message, /^Training stopped at step 4: cannot write .*metrics\.jsonl: no space left on the disk \(ENOSPC\)\. The run folder keeps last\/ from step 3/);
    await checkKept(runDir, 3);
  });

  it('a read-only file system when the checkpoint is renamed into place: the previous one still loads and is restored on resume', async () => {
    const runDir = path.join(dir, 'erofs');
    const err = await trainUntilFailure(runDir, 3, (op, file) => (op === 'rename' && path.basename(file) === 'last' ? 'EROFS' : undefined));
    assert.ok(err instanceof RunFolderWriteError, String(err));
    assert.match(err.message, /^Training stopped at step 6: cannot write .*: the file system is read-only \(EROFS\)\. The run folder keeps last\/ from step 3 .*Make the run folder writable, or train into another folder \(--out\)\.$/);
    // last/ was moved aside as .last.prev before the failed rename: readers use it, and the next start puts it back.
    assert.equal(await findCheckpoint(runDir, 'last'), path.join(runDir, '.last.prev'));
    (await Translator.load(path.join(runDir, '.last.prev'))).dispose();
    rule = () => undefined;
    const done = await train({ config: config(7), outDir: runDir, resume: true });
    assert.equal(done.step, 7);
    assert.equal((await loadCheckpoint(path.join(runDir, 'last'))).meta.step, 7);
  });

  it('an unwritable run folder at the start: a message naming it, nothing trained', async () => {
    const runDir = path.join(dir, 'eacces');
    rule = (op, file) => (op === 'mkdir' && file === runDir ? 'EACCES' : undefined);
    const err = await train({ config: config(), outDir: runDir, resume: false }).catch((e: unknown) => e);
    assert.ok(err instanceof RunFolderWriteError, String(err));
    assert.equal(
      err.message,
      `Cannot write ${runDir}: permission denied (EACCES). No checkpoint had been saved yet. Make the run folder writable, or train into another folder (--out).`,
    );
  });
});
