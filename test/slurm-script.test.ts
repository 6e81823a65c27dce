/**
 * The batch script (src/core/experiments/slurmScript.ts): option values are
 * validated before they become #SBATCH lines, `shellQuote` gives bash back
 * exactly the string it quoted (property-tested against a real bash), and the
 * script run by bash with hostile folder names (quotes, `$()`, backticks,
 * line breaks, spaces) hands exactly those paths to Node and runs nothing
 * else. No Slurm needed: a stand-in `node` on the PATH records its arguments.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { buildBatchScript, logFiles, parseSlurmTime, shellQuote, SlurmOptionError, validateSlurmOptions } from '../src/core/experiments/slurmScript';

/** What bash makes of `word` (printed with printf %s, NUL-free). */
function bashWord(word: string): string {
  const r = spawnSync('bash', ['-c', `printf '%s' ${word}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const HOSTILE = [
  `it's "quoted"`,
  'a $(touch PWNED) b',
  'back`touch PWNED`tick',
  'two\nlines',
  'tab\tand  spaces ',
  "'; touch PWNED; echo '",
  '$HOME ${PATH} \\ ! * ? [x] ~ # & | ; < > ( ) { }',
  '-starts-with-dash',
  '中文 runs',
];

describe('Slurm batch script: values', () => {
  it('parseSlurmTime reads every sbatch --time format', () => {
    assert.equal(parseSlurmTime('30'), 1800);
    assert.equal(parseSlurmTime('30:15'), 1815);
    assert.equal(parseSlurmTime('02:00:00'), 7200);
    assert.equal(parseSlurmTime('1-12'), 129600);
    assert.equal(parseSlurmTime('1-12:30'), 131400);
    assert.equal(parseSlurmTime('1-00:00:05'), 86405);
    assert.equal(parseSlurmTime('UNLIMITED'), Infinity);
    for (const bad of ['', '1h', '2:00:00:00', '1-', '-1', '1.5', '02:00; rm -rf ~']) assert.throws(() => parseSlurmTime(bad), SlurmOptionError, bad);
  });

  it('validateSlurmOptions fills in the defaults and refuses what cannot be an #SBATCH value, naming the option', () => {
    assert.deepEqual(validateSlurmOptions({}), { cpusPerTask: 1, signalSeconds: 120, sbatchArgs: [], setup: [] });
    const ok = validateSlurmOptions({ partition: 'gpu,cpu', account: 'nmt-lab', time: '1-00:00:00', mem: '8G', gres: 'gpu:a100:2', cpusPerTask: 4, maxParallel: 2, sbatchArgs: ['--qos=short', '--exclusive', '--constraint=avx2&fast'], setup: ['module load nodejs/20'] });
    assert.equal(ok.cpusPerTask, 4);
    const refused: [Parameters<typeof validateSlurmOptions>[0], RegExp][] = [
      [{ partition: 'gpu; rm -rf ~' }, /--partition/],
      [{ partition: 'a\nb' }, /--partition/],
      [{ account: '$(id)' }, /--account/],
      [{ time: '2 hours' }, /--time/],
      [{ time: '1', signalSeconds: 60 }, /longer than the 60 s/],
      [{ mem: '8 GB' }, /--mem/],
      [{ gres: 'gpu:1 --wrap=x' }, /--gres/],
      [{ cpusPerTask: 0 }, /--cpus-per-task/],
      [{ cpusPerTask: 2.5 }, /--cpus-per-task/],
      [{ maxParallel: -1 }, /--max-parallel/],
      [{ signalSeconds: 0 }, /--signal-seconds/],
      [{ sbatchArgs: ['--qos=a b'] }, /no spaces/],
      [{ sbatchArgs: ['--comment=$(id)'] }, /--sbatch-arg/],
      [{ sbatchArgs: ['--comment="x"'] }, /--sbatch-arg/],
      [{ sbatchArgs: ['qos=short'] }, /--sbatch-arg/],
      [{ sbatchArgs: ['--array=0-9'] }, /--max-parallel/],
      [{ sbatchArgs: ['--output=x.log'] }, /logs/],
      [{ sbatchArgs: ['-o/tmp/x'] }, /--sbatch-arg/],
      [{ sbatchArgs: ['--partition=gpu'] }, /use --partition/],
      [{ sbatchArgs: ['--signal=USR1@60'] }, /--signal-seconds/],
      [{ setup: ['module load a\nrm -rf ~'] }, /one shell line each/],
    ];
    for (const [o, re] of refused) assert.throws(() => validateSlurmOptions(o), (e: Error) => e instanceof SlurmOptionError && re.test(e.message), JSON.stringify(o));
  });

  it('log file names: %A_%a for an array, slurm-%j for one job', () => {
    assert.deepEqual(logFiles(3, '77', 2), { out: '77_2.out', err: '77_2.err' });
    assert.deepEqual(logFiles(1, '78', 0), { out: 'slurm-78.out', err: 'slurm-78.err' });
  });
});

describe('Slurm batch script: shell quoting', function () {
  this.timeout(120_000);

  it('bash reads back exactly the quoted string: hostile names', () => {
    for (const s of HOSTILE) assert.equal(bashWord(shellQuote(s)), s, JSON.stringify(s));
    assert.equal(shellQuote('/plain/path-1.2_x'), '/plain/path-1.2_x');
    assert.throws(() => shellQuote('a\0b'), /NUL/);
  });

  it('bash reads back exactly the quoted string: any string without NUL (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), (s) => bashWord(shellQuote(s)) === s),
      { numRuns: 150 },
    );
  });
});

describe('Slurm batch script: the script itself', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-sbatch-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('#SBATCH lines hold the validated values, the array throttle, signal, requeue, append mode and logs', () => {
    const options = validateSlurmOptions({ partition: 'gpu', account: 'nmt', time: '02:00:00', mem: '8G', gres: 'gpu:1', cpusPerTask: 4, maxParallel: 2, sbatchArgs: ['--qos=short'], setup: ['module load nodejs/20'], signalSeconds: 90 });
    const script = buildBatchScript({ jobName: 'seq2seq-my run', tasks: 3, options, taskScript: '/opt/lab/dist/slurmTask.js', jobFolder: '/home/a/runs/x-ablation' });
    const sbatch = script.split('\n').filter((l) => l.startsWith('#SBATCH '));
    assert.deepEqual(sbatch, [
      '#SBATCH --job-name=seq2seq-my-run',
      '#SBATCH --array=0-2%2',
      '#SBATCH --output=%A_%a.out',
      '#SBATCH --error=%A_%a.err',
      '#SBATCH --open-mode=append',
      '#SBATCH --requeue',
      '#SBATCH --signal=B:USR1@90',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --time=02:00:00',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=nmt',
      '#SBATCH --mem=8G',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --qos=short',
    ]);
    assert.ok(script.startsWith('#!/bin/bash\n#SBATCH'), 'the #SBATCH lines come before any command');
    assert.match(script, /\nmodule load nodejs\/20\n/);
    assert.match(script, /\nexec node \/opt\/lab\/dist\/slurmTask\.js \/home\/a\/runs\/x-ablation\n$/);
    const one = buildBatchScript({ jobName: 'r', tasks: 1, options: validateSlurmOptions({}), taskScript: '/t.js', jobFolder: '/f' });
    assert.ok(!/--array/.test(one));
    assert.match(one, /#SBATCH --output=slurm-%j\.out/);
    assert.ok(!/--time|--partition/.test(one), 'absent options are left to the cluster');
  });

  it('run by bash, it hands Node exactly the hostile task and folder paths and runs nothing else', async () => {
    // A stand-in node: `node -e …` (the version check) succeeds; otherwise it writes its arguments, NUL-separated.
    const bin = path.join(dir, 'bin');
    await fs.mkdir(bin);
    const record = path.join(dir, 'args');
    await fs.writeFile(path.join(bin, 'node'), `#!/bin/bash\nif [ "$1" = "-e" ]; then exit 0; fi\nprintf '%s\\0' "$@" > ${shellQuote(record)}\n`, { mode: 0o755 });
    for (const name of HOSTILE) {
      const folder = path.join(dir, name.replace(/\//g, '_'));
      await fs.mkdir(folder, { recursive: true });
      const taskScript = path.join(folder, `task ${name.replace(/\//g, '_')}.js`);
      const script = buildBatchScript({ jobName: name, tasks: 2, options: validateSlurmOptions({}), taskScript, jobFolder: folder, description: name });
      const file = path.join(dir, 'job.sbatch');
      await fs.writeFile(file, script);
      await fs.rm(record, { force: true });
      const r = spawnSync('bash', [file], { cwd: dir, encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir } });
      assert.equal(r.status, 0, `${JSON.stringify(name)}: ${r.stderr}`);
      const args = (await fs.readFile(record, 'utf8')).split('\0').slice(0, -1);
      assert.deepEqual(args, [taskScript, folder], JSON.stringify(name));
      assert.ok(!existsSync(path.join(dir, 'PWNED')) && !existsSync(path.join(folder, 'PWNED')), `${JSON.stringify(name)} ran a command`);
      assert.match(script.split('\n').find((l) => l.startsWith('#SBATCH --job-name='))!, /^#SBATCH --job-name=[A-Za-z0-9_.+-]+$/);
    }
  });

  it('without node on the PATH, or with a folder the node cannot see, the script says so on stderr and exits non-zero', async () => {
    const options = validateSlurmOptions({ setup: ['PATH=/nonexistent'] });
    const script = buildBatchScript({ jobName: 'x', tasks: 1, options, taskScript: '/t.js', jobFolder: dir });
    await fs.writeFile(path.join(dir, 'nonode.sbatch'), script);
    const r = spawnSync('/bin/bash', [path.join(dir, 'nonode.sbatch')], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.equal(r.status, 127);
    assert.match(r.stderr, /Node\.js \(node\) is not on the PATH of .* after the setup lines; add one that provides Node\.js 20 or later, e\.g\. --setup 'module load nodejs\/20'/);
    const gone = path.join(dir, "not 'here'");
    const missing = buildBatchScript({ jobName: 'x', tasks: 1, options: validateSlurmOptions({}), taskScript: '/t.js', jobFolder: gone });
    await fs.writeFile(path.join(dir, 'gone.sbatch'), missing);
    const g = spawnSync('/bin/bash', [path.join(dir, 'gone.sbatch')], { encoding: 'utf8' });
    assert.equal(g.status, 2);
    assert.ok(g.stderr.includes(`the job folder does not exist on`) && g.stderr.includes(gone), g.stderr);
  });
});
