import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import schema from '../schemas/config.schema.json';
import { DEFAULT_DATA, DEFAULT_MODEL, DEFAULT_TRAIN } from '../src/core/config/config';
import {
  applyOverrides,
  ConfigError,
  DEFAULT_RUN_CONFIG,
  defaultRunConfig,
  loadConfig,
  parseConfigText,
  resolveConfigPaths,
  validateConfigObject,
} from '../src/core/config/configLoader';

const repoRoot = path.join(__dirname, '..');
let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seq2seq-config-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
function write(name: string, content: string): string {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

async function configError(file: string): Promise<ConfigError> {
  try {
    await loadConfig(file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

describe('config schema', () => {
  const sections = schema.properties as Record<string, { properties?: Record<string, { default?: unknown }> }>;

  it('documents every config key with the same default as src/core/config/config.ts', () => {
    for (const [section, defaults] of [
      ['data', DEFAULT_DATA],
      ['model', DEFAULT_MODEL],
      ['train', DEFAULT_TRAIN],
    ] as const) {
      const props = sections[section].properties!;
      for (const [key, value] of Object.entries(defaults)) {
        assert.ok(props[key], `${section}.${key} missing from the schema`);
        assert.deepEqual(props[key].default, value, `${section}.${key} default`);
      }
      for (const [key, p] of Object.entries(props)) {
        assert.ok((p as { description?: string }).description, `${section}.${key} has no description`);
      }
    }
    for (const key of ['train', 'valid', 'test']) assert.ok(sections.data.properties![key]);
  });
});

describe('loadConfig', () => {
  it('accepts comments and trailing commas, fills defaults and resolves data paths against the config folder', async () => {
    const file = write(
      'exp/a.json',
      `{
  // JSON with comments
  "$schema": "../schemas/config.schema.json",
  "data": {
    "train": "data/train.tsv",
    "valid": {"src": "dev.en", "tgt": "/abs/dev.fr"},
  },
  "model": {"attention": "luong-dot"},
}`,
    );
    const { config, path: p } = await loadConfig(file);
    assert.equal(p, file);
    assert.equal(config.data.train, path.join(tmp, 'exp', 'data', 'train.tsv'));
    assert.deepEqual(config.data.valid, { src: path.join(tmp, 'exp', 'dev.en'), tgt: '/abs/dev.fr' });
    assert.equal(config.data.test, undefined);
    assert.equal(config.model.attention, 'luong-dot');
    assert.equal(config.model.hiddenSize, DEFAULT_MODEL.hiddenSize);
    assert.deepEqual(config.train, DEFAULT_TRAIN);
    assert.ok(!('$schema' in config));
  });

  it('points at file:line:column of a bad enum value and says what was expected', async () => {
    const file = write(
      'enum.json',
      `{
  "data": {
    "train": "t.tsv"
  },
  "model": {
    "cell": "gru",
    "attention": "dot"
  }
}`,
    );
    const e = await configError(file);
    assert.equal(e.problems.length, 1);
    assert.equal(e.problems[0].line, 7);
    assert.equal(e.problems[0].column, 18);
    assert.match(e.message, /enum\.json:7:18: model\.attention must be one of "none", "bahdanau", "luong-dot", "luong-general" \(got "dot"\)$/);
  });

  it('reports every problem, with unknown keys located at the key and a suggestion', async () => {
    const file = write(
      'many.json',
      `{
  "data": {"train": "t.tsv", "tokenizer": 3},
  "model": {"hiddn": 64, "layers": 1.5},
  "train": {"batchSize": 0},
  "extra": true
}`,
    );
    const e = await configError(file);
    const lines = e.message.split('\n');
    assert.equal(lines.length, 5, e.message);
    assert.match(lines[0], /many\.json:2:43: data\.tokenizer must be a string \(got 3\)$/);
    assert.match(lines[1], /many\.json:3:13: unknown key "hiddn" in model \(did you mean "hiddenSize"\? allowed: cell, attention/);
    assert.match(lines[2], /many\.json:3:36: model\.layers must be an integer \(got 1\.5\)$/);
    assert.match(lines[3], /many\.json:4:26: train\.batchSize must be >= 1 \(got 0\)$/);
    assert.match(lines[4], /many\.json:5:3: unknown key "extra" in the top level/);
  });

  it('reports a missing data.train and a bad data source shape', async () => {
    const e = await configError(write('nodata.json', '{"data": {"tokenizer": "char"}}'));
    assert.match(e.message, /nodata\.json:1:10: missing required key "data\.train"/);
    const e2 = await configError(write('badsrc.json', '{"data": {"train": 5}}'));
    assert.match(e2.message, /data\.train must be a file path string or an object \{"src": …, "tgt": …\} \(got 5\)/);
    const e3 = await configError(write('badpar.json', '{"data": {"train": {"src": "a.en"}}}'));
    assert.match(e3.message, /missing required key "data\.train\.tgt"/);
    const e4 = await configError(write('empty.json', '   '));
    assert.match(e4.message, /empty\.json:1:1: the config is empty/);
  });

  it('reports JSON syntax errors with line and column', async () => {
    const e = await configError(write('syntax.json', '{\n  "data": {\n    "train": "t.tsv"\n    "lowercase": true\n  }\n}'));
    assert.match(e.message, /syntax\.json:4:5: invalid JSON: a comma "," was expected/);
  });

  it('checks constraints across keys', async () => {
    const e = await configError(write('frac.json', '{"data": {"train": "t.tsv", "validFraction": 0.5, "testFraction": 0.5}}'));
    assert.match(e.message, /frac\.json:1:67: data\.validFraction \+ data\.testFraction must be < 1/);
    // With an explicit test set, testFraction is not used.
    const ok = await loadConfig(write('frac2.json', '{"data": {"train": "t.tsv", "test": "x.tsv", "validFraction": 0.5, "testFraction": 0.5}}'));
    assert.equal(ok.config.data.validFraction, 0.5);
    const e2 = await configError(write('cols.json', '{"data": {"train": "t.tsv", "srcColumn": 1}}'));
    assert.match(e2.message, /data\.tgtColumn must differ from data\.srcColumn/);
  });

  it('reports a missing config file', async () => {
    const e = await configError(path.join(tmp, 'missing.json'));
    assert.match(e.message, /missing\.json: config file not found/);
  });
});

describe('validateConfigObject / resolveConfigPaths / defaults', () => {
  it('validates objects without locations and leaves paths alone', () => {
    const cfg = validateConfigObject({ data: { train: 'rel.tsv' } }, 'settings');
    assert.equal(cfg.data.train, 'rel.tsv');
    assert.throws(
      () => validateConfigObject({ data: { train: 'x' }, train: { stopMetric: 'accuracy' } }, 'settings'),
      /^ConfigError: settings: train\.stopMetric must be one of "bleu", "perplexity", "loss" \(got "accuracy"\)$/,
    );
    assert.throws(() => validateConfigObject([], 'settings'), /settings: the config must be an object \(got an array\)/);
  });

  it('model.bridgeFrom: "final" (the default) or "mean", anything else refused with the choices', () => {
    assert.equal(validateConfigObject({ data: { train: 'x' } }, 's').model.bridgeFrom, 'final');
    assert.equal(validateConfigObject({ data: { train: 'x' }, model: { bridgeFrom: 'mean' } }, 's').model.bridgeFrom, 'mean');
    assert.equal(validateConfigObject({ data: { train: 'x' }, model: { bridgeFrom: 'final' } }, 's').model.bridgeFrom, 'final');
    assert.throws(() => validateConfigObject({ data: { train: 'x' }, model: { bridgeFrom: 'average' } }, 's'), /^ConfigError: s: model\.bridgeFrom must be one of "final", "mean" \(got "average"\)$/);
    assert.throws(() => validateConfigObject({ data: { train: 'x' }, model: { bridgeFrom: 1 } }, 's'), /model\.bridgeFrom must be a string/);
    assert.equal(applyOverrides(validateConfigObject({ data: { train: 'x' } }, 's'), ['model.bridgeFrom=mean']).model.bridgeFrom, 'mean');
  });

  it('resolves relative paths only', () => {
    const cfg = validateConfigObject({ data: { train: { src: 'a.en', tgt: '/x/a.fr' }, test: 'b.tsv' } }, 's');
    const r = resolveConfigPaths(cfg, '/base');
    assert.deepEqual(r.data.train, { src: path.resolve('/base', 'a.en'), tgt: '/x/a.fr' });
    assert.equal(r.data.test, path.resolve('/base', 'b.tsv'));
    assert.equal(cfg.data.test, 'b.tsv', 'input not modified');
  });

  it('the embedded default and the sample configs are valid and point at existing data', async () => {
    validateConfigObject(DEFAULT_RUN_CONFIG, 'DEFAULT_RUN_CONFIG');
    const def = defaultRunConfig(repoRoot);
    assert.equal(def.data.tokenizer, 'char');
    assert.ok(fs.existsSync(def.data.train as string), 'sample-data/dates.tsv exists');
    for (const name of ['dates.config.json', 'en-fr.config.json']) {
      const { config } = await loadConfig(path.join(repoRoot, 'sample-data', name));
      assert.ok(fs.existsSync(config.data.train as string), `${name}: ${String(config.data.train)}`);
    }
  });
});

describe('applyOverrides', () => {
  const base = () => validateConfigObject({ data: { train: '/data/x.tsv' } }, 'c.json');

  it('sets keys from section.key=value, values read as JSON when they parse, else as strings', () => {
    const c = applyOverrides(base(), ['train.batchSize=32', 'model.readout=maxout', 'data.lowercase=false', 'name=a b']);
    assert.equal(c.train.batchSize, 32);
    assert.equal(c.model.readout, 'maxout');
    assert.equal(c.data.lowercase, false);
    assert.equal(c.data.train, '/data/x.tsv');
    assert.equal(c.name, 'a b');
    assert.throws(() => applyOverrides(c, ['model.embeddingInitScale="0.5"']), /embeddingInitScale must be a number \(got "0\.5"\)/);
  });

  it('names the overrides in schema errors, and rejects malformed ones', () => {
    assert.throws(() => applyOverrides(base(), ['train.batchSize=0']), (e: unknown) => e instanceof ConfigError && /--set train\.batchSize=0: train\.batchSize must be >= 1 \(got 0\)/.test(e.message));
    assert.throws(() => applyOverrides(base(), ['model.readotu=deep']), /unknown key "readotu" in model \(did you mean "readout"\?/);
    assert.throws(() => applyOverrides(base(), ['batchSize=3']), /unknown key "batchSize" in the top level/);
    assert.throws(() => applyOverrides(base(), ['train.batchSize']), /not of the form key=value/);
    assert.throws(() => applyOverrides(base(), ['train..batchSize=3']), /not of the form key=value/);
  });
});

describe('parseConfigText', () => {
  it('uses the given source name in messages', () => {
    assert.throws(() => parseConfigText('{"data": {"train": "t", "maxLength": -1}}', 'inline'), /^ConfigError: inline:1:38: data\.maxLength must be >= 1 \(got -1\)$/);
  });
});
