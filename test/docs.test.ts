/**
 * The documentation cannot drift from what it documents:
 * - docs/configuration.md is what scripts/lib/configDocs.ts generates from
 *   schemas/config.schema.json, and has a row for every key of the schema
 *   and of the defaults in src/core/config/config.ts;
 * - docs/vscode.md names every command, setting, view and key binding that
 *   package.json contributes;
 * - every relative link and heading anchor in README.md and docs/ resolves,
 *   checked offline by remark-cli with remark-validate-links (GitHub's
 *   heading slugs, non-ASCII headings included); a broken link and a broken
 *   anchor in a scratch folder make the same check fail.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_BPE, DEFAULT_DATA, DEFAULT_MODEL, DEFAULT_TRAIN, DEFAULT_TRANSFORMER } from '../src/core/config/config';
import { DEFAULT_RUN_CONFIG } from '../src/core/config/configLoader';
import { configKeyPaths, renderConfigDocs, type SchemaNode } from '../scripts/lib/configDocs';
import { nlsTable, ROOT } from './helpers/manifest';

const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const REMARK = path.join(ROOT, 'node_modules', 'remark-cli', 'cli.js');

/** remark-cli with the repository's .remarkrc.json on `targets`; exit status and report (no colours). */
function checkLinks(targets: string[], cwd = ROOT): { status: number | null; report: string } {
  const r = spawnSync(process.execPath, [REMARK, '--rc-path', path.join(ROOT, '.remarkrc.json'), '--no-config', '--no-color', '--frail', '--quiet', '--no-stdout', ...targets], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, report: `${r.stdout}${r.stderr}` };
}

describe('documentation', function () {
  this.timeout(120_000);

  describe('docs/configuration.md (generated from schemas/config.schema.json)', () => {
    const schema = JSON.parse(read('schemas/config.schema.json')) as SchemaNode;
    const page = read('docs/configuration.md');
    const rows = new Set([...page.matchAll(/^\| `([\w.$]+)` \|/gm)].map((m) => m[1]));

    it('is the page `npm run docs:config` generates (run it after changing the schema)', () => {
      assert.equal(page, renderConfigDocs(schema, DEFAULT_RUN_CONFIG as unknown as Record<string, unknown>), 'docs/configuration.md is stale: run `npm run docs:config`');
    });

    it('has a row for every key of the schema, with its default', () => {
      const keys = configKeyPaths(schema).filter((k) => k !== '$schema');
      assert.ok(keys.length > 60, `${keys.length} keys`);
      for (const k of keys) assert.ok(rows.has(k), `no row for ${k}`);
      const line = page.split('\n').find((l) => l.startsWith('| `train.minDelta` |'))!;
      assert.match(line, /\| number, ≥ 0 \| `0` \| Minimum improvement/);
    });

    it('has a row for every key with a default in src/core/config/config.ts', () => {
      const sections: [string, object][] = [
        ['data', DEFAULT_DATA],
        ['data.bpe', DEFAULT_BPE],
        ['model', DEFAULT_MODEL],
        ['model.transformer', DEFAULT_TRANSFORMER],
        ['train', DEFAULT_TRAIN],
      ];
      for (const [section, defaults] of sections) {
        for (const key of Object.keys(defaults)) {
          if (section === 'model' && key === 'transformer') continue; // its own section
          assert.ok(rows.has(`${section}.${key}`), `no row for ${section}.${key}`);
        }
      }
    });

    it('the generator fails the check when a key is missing or a default changes', () => {
      const changed = structuredClone(schema) as { properties: { train: { properties: Record<string, SchemaNode> } } };
      changed.properties.train.properties.minDelta.default = 0.5;
      assert.notEqual(renderConfigDocs(changed as SchemaNode, DEFAULT_RUN_CONFIG as unknown as Record<string, unknown>), page);
      delete (changed.properties.train.properties as Record<string, unknown>).minDelta;
      assert.ok(!configKeyPaths(changed as SchemaNode).includes('train.minDelta'));
    });
  });

  describe('docs/vscode.md (against package.json contributes)', () => {
    const page = read('docs/vscode.md');
    const pkg = JSON.parse(read('package.json')) as {
      contributes: {
        commands: { command: string; title: string; category?: string }[];
        configuration: { properties: Record<string, { default: unknown }> };
        views: Record<string, { id: string; name: string }[]>;
        keybindings: { command: string; key: string; mac?: string }[];
        walkthroughs: { id: string; title: string }[];
      };
    };
    const nls = nlsTable();
    const text = (s: string) => (/^%(.+)%$/.test(s) ? nls[s.slice(1, -1)] : s);

    it('every command: its id and its English title, with the category for palette commands', () => {
      for (const c of pkg.contributes.commands) {
        const title = text(c.title);
        assert.ok(title, `${c.command} has a title`);
        const row = page.split('\n').find((l) => l.includes(`\`${c.command}\``));
        assert.ok(row, `docs/vscode.md does not name ${c.command}`);
        assert.ok(row!.includes(title), `the row of ${c.command} has its title "${title}": ${row}`);
      }
    });

    it('every setting with its default', () => {
      for (const [key, p] of Object.entries(pkg.contributes.configuration.properties)) {
        const row = page.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
        assert.ok(row, `no row for the setting ${key}`);
        assert.ok(row!.includes(`| \`${typeof p.default === 'string' && p.default !== '' ? p.default : JSON.stringify(p.default)}\` |`), `${key}: default ${JSON.stringify(p.default)} in ${row}`);
      }
    });

    it('every view, key binding and walkthrough', () => {
      for (const views of Object.values(pkg.contributes.views)) {
        for (const v of views) {
          assert.ok(page.includes(`\`${v.id}\``), `view ${v.id}`);
          assert.ok(page.includes(`**${text(v.name)}**`), `view name ${text(v.name)}`);
        }
      }
      for (const k of pkg.contributes.keybindings) {
        assert.ok(page.includes(`\`${k.key}\``), `key binding ${k.key} of ${k.command}`);
        if (k.mac) assert.ok(page.includes(`\`${k.mac}\``), `mac key binding ${k.mac}`);
      }
      for (const w of pkg.contributes.walkthroughs) {
        assert.ok(page.includes(`**${text(w.title)}**`), `walkthrough ${text(w.title)}`);
        assert.ok(page.includes(`\`${w.id}\``), `walkthrough id ${w.id}`);
      }
    });
  });

  describe('links (remark-validate-links, offline)', () => {
    it('every relative link and heading anchor in README.md and docs/ resolves', () => {
      const { status, report } = checkLinks(['README.md', 'docs']);
      assert.equal(status, 0, report);
      assert.ok(!/warning/.test(report), report);
    });

    it('fails on a broken file link and on a broken anchor, and resolves GitHub anchors of non-ASCII headings', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'seq2seq-links-'));
      try {
        writeFileSync(path.join(dir, 'other.md'), '# Other\n\n## 中文界面 (Simplified Chinese)\n\n## Encoder–decoder, `model.type`\n');
        const page = (body: string) => writeFileSync(path.join(dir, 'page.md'), `# Page\n\n## Données réelles : anglais → français\n\n${body}\n`);
        page('[ok](#données-réelles--anglais--français) [ok](other.md#中文界面-simplified-chinese) [ok](other.md#encoderdecoder-modeltype)');
        let r = checkLinks(['.'], dir);
        assert.equal(r.status, 0, `good links pass:\n${r.report}`);
        page('[gone](missing.md)');
        r = checkLinks(['.'], dir);
        assert.notEqual(r.status, 0);
        assert.match(r.report, /Cannot find file `missing\.md`/);
        page('[bad](other.md#no-such-heading) [bad](#nope)');
        r = checkLinks(['.'], dir);
        assert.notEqual(r.status, 0);
        assert.match(r.report, /Cannot find heading for `#no-such-heading` in `other\.md`/);
        assert.match(r.report, /Cannot find heading for `#nope`/);
        page('![a picture that is not there](../no-such-picture.png)');
        r = checkLinks(['.'], dir);
        assert.notEqual(r.status, 0);
        assert.match(r.report, /Cannot find file/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
