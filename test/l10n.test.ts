/**
 * Localisation: every user-facing string of the extension (manifest,
 * host, webviews, CLI) has a Simplified Chinese translation, and every
 * translation still has its string.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { getL10nJson } from '@vscode/l10n-dev';
import * as l10n from '@vscode/l10n';
import { cliLocale, translatedLocale, useBundle, usePageBundle, type L10nBundle } from '../src/shared/l10n';
import { localizedManifest, nlsTable, ROOT } from './helpers/manifest';

const readJson = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as L10nBundle;
const placeholders = (s: string) => [...s.matchAll(/\{(\d+)\}/g)].map((m) => m[1]).sort().join(',');
/** A translation reads as Chinese: it has at least one CJK character (or is left as is on purpose). */
const hasCjk = (s: string) => /[\u3400-\u9fff]/.test(s);
/** Entries whose Chinese is the English text itself (product names, symbols). */
const SAME_IN_CHINESE = new Set(['Seq2Seq Lab', 'Seq2Seq', 'BLEU']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(name) && !/\.d\.ts$/.test(name) ? [p] : [];
  });
}

describe('localisation (zh-cn)', function () {
  this.timeout(60_000);

  describe('package.json (package.nls.json, package.nls.zh-cn.json)', () => {
    const raw = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      displayName: string; description: string;
      contributes: {
        commands: { command: string; title: string; shortTitle?: string }[];
        configuration: { title: string; properties: Record<string, { description?: string; markdownDescription?: string; enumDescriptions?: string[]; patternErrorMessage?: string }> };
        views: Record<string, { id: string; name: string }[]>;
        viewsContainers: { activitybar: { title: string }[] };
        viewsWelcome: { contents: string }[];
        walkthroughs: { title: string; description: string; steps: { id: string; title: string; description: string; media: { markdown?: string } }[] }[];
      };
    };
    const english = nlsTable();
    const chinese = nlsTable('zh-cn');
    const isKey = (s: string | undefined) => s === undefined || /^%[\w.-]+%$/.test(s);

    it('every contributed command, setting, view and walkthrough text is a %key%, not a literal', () => {
      const c = raw.contributes;
      const texts: [string, string | undefined][] = [
        ['displayName', raw.displayName],
        ['description', raw.description],
        ...c.commands.flatMap((x) => [[`${x.command} title`, x.title], [`${x.command} shortTitle`, x.shortTitle]] as [string, string | undefined][]),
        ['configuration title', c.configuration.title],
        ...Object.entries(c.configuration.properties).flatMap(([k, p]) => [
          [`${k} description`, p.description],
          [`${k} markdownDescription`, p.markdownDescription],
          [`${k} patternErrorMessage`, p.patternErrorMessage],
          ...(p.enumDescriptions ?? []).map((d, i) => [`${k} enumDescriptions[${i}]`, d]),
        ] as [string, string | undefined][]),
        ...Object.values(c.views).flat().map((v) => [`view ${v.id}`, v.name] as [string, string]),
        ...c.viewsContainers.activitybar.map((v) => ['activity bar', v.title] as [string, string]),
        ...c.viewsWelcome.map((w) => ['viewsWelcome', w.contents] as [string, string]),
        ...c.walkthroughs.flatMap((w) => [
          ['walkthrough title', w.title],
          ['walkthrough description', w.description],
          ...w.steps.flatMap((s) => [[`${s.id} title`, s.title], [`${s.id} description`, s.description], [`${s.id} media`, s.media.markdown]]),
        ] as [string, string | undefined][]),
      ];
      const literal = texts.filter(([, t]) => !isKey(t)).map(([where]) => where);
      assert.deepEqual(literal, [], 'package.json texts that are not %keys%');
    });

    it('package.nls.json and package.nls.zh-cn.json have the same keys, and every %key% of package.json is one of them', () => {
      assert.deepEqual(Object.keys(chinese).sort(), Object.keys(english).sort());
      const used = new Set([...readFileSync(path.join(ROOT, 'package.json'), 'utf8').matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]));
      assert.deepEqual([...used].filter((k) => !(k in english)), [], 'keys without an English text');
      assert.deepEqual(Object.keys(english).filter((k) => !used.has(k)), [], 'texts package.json no longer uses');
      localizedManifest('zh-cn'); // throws on an unresolved key
    });

    it('the Chinese texts are Chinese and keep the command links of the English ones', () => {
      const links = (s: string) => [...s.matchAll(/\]\((command:[^)]*)\)/g)].map((m) => m[1]);
      for (const [k, en] of Object.entries(english)) {
        const zh = chinese[k];
        if (k.endsWith('.media')) {
          assert.match(zh, /^media\/walkthrough\/zh-cn\/[\w-]+\.md$/, k);
          assert.ok(existsSync(path.join(ROOT, zh)), `${k}: ${zh} exists`);
          assert.equal(path.basename(zh), path.basename(en), `${k}: the same step's page`);
          assert.ok(hasCjk(readFileSync(path.join(ROOT, zh), 'utf8')), `${zh} is in Chinese`);
          continue;
        }
        assert.ok(hasCjk(zh) || SAME_IN_CHINESE.has(zh), `${k}: "${zh}" is not Chinese`);
        assert.deepEqual(links(zh), links(en), `${k}: the same buttons`);
      }
    });
  });

  describe('strings in code (l10n/bundle.l10n.json, l10n/bundle.l10n.zh-cn.json)', () => {
    it('l10n/bundle.l10n.json holds exactly the strings the code marks with l10n.t (run `npm run l10n` after changing them)', async () => {
      const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'webview'))];
      const extracted = await getL10nJson(files.map((f) => ({ contents: readFileSync(f, 'utf8'), extension: path.extname(f) })));
      assert.ok(Object.keys(extracted).length > 100, `only ${Object.keys(extracted).length} strings found: is the extraction broken?`);
      assert.deepEqual(Object.keys(readJson('l10n/bundle.l10n.json')).sort(), Object.keys(extracted).sort());
    });

    it('every string has a Chinese translation with the same placeholders, and every translation has its string', () => {
      const english = readJson('l10n/bundle.l10n.json');
      const chinese = readJson('l10n/bundle.l10n.zh-cn.json');
      assert.deepEqual(Object.keys(english).filter((k) => !(k in chinese)), [], 'strings without a translation');
      assert.deepEqual(Object.keys(chinese).filter((k) => !(k in english)), [], 'translations of strings the code no longer has');
      for (const [k, v] of Object.entries(chinese)) {
        const en = english[k];
        const source = typeof en === 'string' ? en : en.message;
        const zh = typeof v === 'string' ? v : v.message;
        assert.equal(placeholders(zh), placeholders(source), `"${k}": placeholders {n} differ`);
        assert.ok(hasCjk(zh) || SAME_IN_CHINESE.has(zh) || !/[a-z]{3}/i.test(source.replace(/\{\d+\}/g, '')), `"${k}": "${zh}" is not Chinese`);
      }
    });
  });

  describe('src/shared/l10n.ts', () => {
    afterEach(() => useBundle({}));

    it('maps VS Code language ids and POSIX locales to zh-cn, and others to English', () => {
      for (const id of ['zh-cn', 'zh-CN', 'zh_CN.UTF-8', 'zh-Hans', 'zh_SG', 'zh']) assert.equal(translatedLocale(id), 'zh-cn', id);
      for (const id of ['en', 'en_US.UTF-8', 'C', 'POSIX', 'zh-tw', 'zh_TW.UTF-8', 'fr', '', undefined]) assert.equal(translatedLocale(id), undefined, String(id));
      assert.equal(cliLocale({ LANG: 'zh_CN.UTF-8' }), 'zh-cn');
      assert.equal(cliLocale({ LC_ALL: 'en_US.UTF-8', LANG: 'zh_CN.UTF-8' }), undefined, 'LC_ALL wins');
      assert.equal(cliLocale({ SEQ2SEQ_LOCALE: 'en', LANG: 'zh_CN.UTF-8' }), undefined, 'SEQ2SEQ_LOCALE wins');
      assert.equal(cliLocale({ SEQ2SEQ_LOCALE: 'zh-cn' }), 'zh-cn');
    });

    it('a page bundle translates; an unreadable one leaves English', () => {
      usePageBundle(JSON.stringify({ 'Step {0}': '第 {0} 步' }));
      assert.equal(l10n.t('Step {0}', 3), '第 3 步');
      usePageBundle('{not json');
      assert.equal(l10n.t('Step {0}', 3), 'Step 3');
      usePageBundle('[1, 2]');
      assert.equal(l10n.t('Step {0}', 3), 'Step 3');
    });
  });

  describe('the CLI', () => {
    const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
    const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
      execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', `require(${JSON.stringify(cli)}).main(['node', 'seq2seq', ...${JSON.stringify(args)}])`], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: '', SEQ2SEQ_LOCALE: '', ...env },
      });

    it('prints its help in Chinese under a Chinese locale, and in English otherwise', () => {
      const zh = run({ LANG: 'zh_CN.UTF-8' }, 'eval', '--help');
      assert.match(zh, /^用法：seq2seq eval/m);
      assert.match(zh, /^选项：$/m);
      assert.match(zh, /束宽（1 = 贪心）（默认：1）/);
      const en = run({ LANG: 'en_US.UTF-8' }, 'eval', '--help');
      assert.match(en, /^Usage: seq2seq eval/m);
      assert.match(en, /beam size \(1 = greedy\) \(default: 1\)/);
    });
  });
});
