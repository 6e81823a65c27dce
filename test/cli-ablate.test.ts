import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Random } from '../src/core/random';

const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');

function run(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 300000, env: { ...process.env, SEQ2SEQ_LOCALE: 'en' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function summaryIn(runsDir: string) {
  const dirs = (await fs.readdir(runsDir)).filter((d) => d.includes('-ablation-'));
  assert.equal(dirs.length, 1, `one ablation folder in ${(await fs.readdir(runsDir)).join(', ')}`);
  return JSON.parse(await fs.readFile(path.join(runsDir, dirs[0]!, 'ablation.json'), 'utf8'));
}

describe('seq2seq ablate', function () {
  this.timeout(300000);
  let dir: string;
  let config: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-ablate-'));
    const r = new Random(5);
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      const w = Array.from({ length: 2 + r.int(4) }, () => 'abcdefg'[r.int(7)]);
      lines.push(`${w.join(' ')}\t${w.join(' ')}`);
    }
    await fs.writeFile(path.join(dir, 'copy.tsv'), lines.join('\n') + '\n');
    config = path.join(dir, 'tiny.seq2seq.json');
    await fs.writeFile(
      config,
      JSON.stringify({
        data: { train: 'copy.tsv', maxLength: 10 },
        model: { embeddingSize: 16, hiddenSize: 32, dropout: 0 },
        train: { epochs: 10, batchSize: 16, learningRate: 0.005, logEvery: 5, earlyStoppingPatience: 0, threads: 1 },
      }),
    );
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('trains two attention variants with the same step budget, evaluates them on test, writes ablation.json, the table and the chart', async () => {
    const runs = path.join(dir, 'runs');
    const chart = path.join(dir, 'chart.svg');
    const r = run(['ablate', '--config', config, '--set', 'model.attention=none,bahdanau', '--steps', '15', '--base-set', 'train.batchSize=8', '--runs-dir', runs, '--by-length-chart', chart]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ablation of model\.attention: 2 variants, each with 15 steps/);
    assert.match(r.stdout, /=== variant 1 of 2: model\.attention=none ===/);
    assert.match(r.stdout, /=== variant 2 of 2: model\.attention=bahdanau ===/);
    // The table: header, then one line per variant with test BLEU, perplexity, 15 steps, tokens/s, minutes, status.
    const table = r.stdout.slice(r.stdout.lastIndexOf('variant  '));
    assert.match(table, /^variant\s+test BLEU \(greedy\)\s+test perplexity\s+steps\s+tokens\/s\s+minutes\s+status\n/);
    assert.match(table, /\nmodel\.attention=none\s+\d+\.\d\d\s+\d+\.\d\d\s+15\s+\d+\s+\d+\.\d\s+finished \(max-steps\)\n/);
    assert.match(table, /\nmodel\.attention=bahdanau\s+\d+\.\d\d\s+\d+\.\d\d\s+15\s+\d+\s+\d+\.\d\s+finished \(max-steps\)\n/);
    assert.match(r.stdout, /summary written to .*tiny-ablation-\d{8}-\d{6}[/\\]ablation\.json/);

    const s = await summaryIn(runs);
    assert.equal(s.baseConfig, config);
    assert.deepEqual(s.fields, ['model.attention']);
    assert.deepEqual(s.specs, [{ field: 'model.attention', values: ['none', 'bahdanau'] }]);
    assert.deepEqual(s.budget, { maxMinutes: 0, maxSteps: 15 });
    assert.equal(s.runDirs.length, 2);
    assert.match(path.basename(s.runDirs[0]), /^tiny-attention-none-\d{8}-\d{6}$/);
    assert.match(path.basename(s.runDirs[1]), /^tiny-attention-bahdanau-\d{8}-\d{6}$/);
    for (const [i, v] of s.variants.entries()) {
      assert.equal(v.status, 'finished');
      assert.equal(v.reason, 'max-steps');
      assert.equal(v.steps, 15);
      assert.equal(v.runDir, s.runDirs[i]);
      assert.ok(v.test.sentences > 0 && v.test.bleu >= 0 && v.test.perplexity >= 1, JSON.stringify(v.test));
      assert.equal(v.test.byLength.length, 6);
      assert.ok(existsSync(path.join(v.runDir, 'best')), 'best checkpoint');
      const runJson = JSON.parse(await fs.readFile(path.join(v.runDir, 'run.json'), 'utf8'));
      assert.equal(runJson.config.model.attention, v.value);
      assert.equal(runJson.config.train.maxSteps, 15);
      assert.equal(runJson.config.train.batchSize, 8, '--base-set reaches every variant');
    }
    const svg = await fs.readFile(chart, 'utf8');
    assert.match(svg, /^<svg/);
    assert.ok(svg.includes('model.attention=none') && svg.includes('model.attention=bahdanau'), 'the legend names both variants');
  });

  it('--seeds trains every variant once per seed on the same test pairs and prints each variant\'s mean ± sd', async () => {
    const runs = path.join(dir, 'runs-seeds');
    const r = run(['ablate', '--config', config, '--set', 'model.attention=none,bahdanau', '--seeds', '3,7', '--steps', '10', '--runs-dir', runs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ablation of model\.attention × 2 seeds: 4 variants, each with 10 steps/);
    assert.match(r.stdout, /=== variant 4 of 4: model\.attention=bahdanau · train\.seed=7 ===/);
    const s = await summaryIn(runs);
    assert.deepEqual(s.seeds, [3, 7]);
    assert.deepEqual(s.variants.map((v: { seed: number; value: string }) => [v.value, v.seed]), [['none', 3], ['none', 7], ['bahdanau', 3], ['bahdanau', 7]]);
    // Each run trained with its seed and the base's split: the same test pairs, different models.
    const tests = new Set<string>();
    const losses = new Set<string>();
    for (const v of s.variants) {
      const cfg = JSON.parse(await fs.readFile(path.join(v.runDir, 'run.json'), 'utf8')).config;
      assert.deepEqual([cfg.train.seed, cfg.data.splitSeed], [v.seed, 42]);
      tests.add(await fs.readFile(path.join(v.runDir, 'test.tsv'), 'utf8'));
      losses.add((await fs.readFile(path.join(v.runDir, 'metrics.jsonl'), 'utf8')).split('\n').find((l) => l.includes('"progress"'))!.replace(/"elapsedSeconds":[^,]+|"tokensPerSecond":[^,]+|"etaSeconds":[^,]+/g, ''));
    }
    assert.equal(tests.size, 1, 'one test set');
    assert.equal(losses.size, 4, 'four different trainings');
    // groups: mean ± sample sd over the two seeds of each variant.
    assert.deepEqual(s.groups.map((g: { label: string; seeds: number[] }) => [g.label, g.seeds]), [['model.attention=none', [3, 7]], ['model.attention=bahdanau', [3, 7]]]);
    for (const [i, g] of s.groups.entries()) {
      const [a, b] = [s.variants[2 * i].test.bleu, s.variants[2 * i + 1].test.bleu];
      assert.ok(Math.abs(g.testBleu.mean - (a + b) / 2) < 1e-9);
      assert.ok(Math.abs(g.testBleu.sd - Math.abs(a - b) / Math.SQRT2) < 1e-9);
      assert.equal(g.testBleu.n, 2);
    }
    const table = r.stdout.slice(r.stdout.lastIndexOf('variant  '));
    assert.match(table, /^variant\s+seeds\s+test BLEU \(greedy\), mean ± sd\s+test perplexity, mean ± sd\s+valid BLEU, mean ± sd\s+runs\n/);
    assert.match(table, /\nmodel\.attention=none\s+3,7\s+\d+\.\d\d ± \d+\.\d\d\s+\d+\.\d\d ± \d+\.\d\d\s+\d+\.\d\d ± \d+\.\d\d\s+2\n/);
    // Refused: a seed twice, and --seeds with an ablation of train.seed.
    const twice = run(['ablate', '--config', config, '--set', 'model.attention=none', '--seeds', '1,1', '--steps', '5', '--runs-dir', runs]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /seed 1 is given twice/);
    const clash = run(['ablate', '--config', config, '--set', 'train.seed=1,2', '--seeds', '3', '--steps', '5', '--runs-dir', runs]);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /--seeds sets train\.seed of every run: ablate train\.seed without --seeds/);
  });

  it('--json prints the summary; a failing variant is reported and the others still train (exit code 1)', async () => {
    const runs = path.join(dir, 'runs-json');
    const r = run(['ablate', '--config', config, '--set', 'data.maxLength=1,10', '--steps', '5', '--runs-dir', runs, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const s = JSON.parse(r.stdout.trim());
    assert.deepEqual(s, await summaryIn(runs));
    assert.deepEqual(s.variants.map((v: { status: string }) => v.status), ['failed', 'finished']);
    assert.match(s.variants[0].error, /no training pair has at most data\.maxLength = 1 tokens/);
    assert.equal(s.variants[1].steps, 5);
    assert.match(r.stderr, /=== variant 2 of 2: data\.maxLength=10 ===/, 'the training log goes to stderr');
    assert.match(r.stderr, /note: variants of data\.maxLength read or split the data differently, so their test pairs differ too/);
  });

  it('Ctrl+C stops the current variant with its last checkpoint and skips the rest', async () => {
    const runs = path.join(dir, 'runs-int');
    const child = spawn(process.execPath, [BIN, 'ablate', '--config', config, '--set', 'model.layers=1,2,3', '--steps', '100000', '--runs-dir', runs], {
      env: { ...process.env, SEQ2SEQ_LOCALE: 'en' },
    });
    let out = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/step 10 \|/.test(out) && !child.killed) child.kill('SIGINT');
      });
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', resolve);
    });
    assert.equal(code, 0, out);
    assert.match(out, /stopping model\.layers=1 after this step and skipping the remaining variants/);
    assert.match(out, /stopped: 2 variants skipped/);
    const s = await summaryIn(runs);
    assert.deepEqual(s.variants.map((v: { status: string }) => v.status), ['stopped', 'skipped', 'skipped']);
    assert.equal(s.runDirs.length, 1);
    assert.ok(existsSync(path.join(s.runDirs[0], 'last')), 'the stopped variant keeps its last/ checkpoint');
    assert.equal((await fs.readdir(runs)).filter((d) => d.includes('layers-2') || d.includes('layers-3')).length, 0, 'nothing of the skipped variants');
  });

  it('refuses a bad field or value before anything trains, naming it and what the schema allows', async () => {
    const runs = path.join(dir, 'runs-bad');
    const cases: [string, RegExp][] = [
      ['model.attention=none,transformer', /model\.attention has no value "transformer" .*use --set model\.type=transformer/],
      ['model.layers=1,9', /model\.layers must be <= 8 \(got 9\)/],
      ['model.atention=none', /unknown key "atention" in model \(did you mean "attention"\?/],
      ['train.maxMinutes=1,2', /train\.maxMinutes is the training budget every variant shares/],
      ['model.attention', /"model\.attention" is not of the form field=value1,value2/],
    ];
    for (const [set, message] of cases) {
      const r = run(['ablate', '--config', config, '--set', set, '--steps', '5', '--runs-dir', runs]);
      assert.equal(r.code, 1, `${set}: ${r.stdout}`);
      assert.match(r.stderr, message, set);
    }
    assert.equal(existsSync(runs), false, 'nothing was trained or written');
    const missing = run(['ablate', '--config', path.join(dir, 'missing.json'), '--set', 'model.layers=1,2']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing\.json: config file not found/);
  });
});
