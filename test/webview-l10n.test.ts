/**
 * The webviews in the display language: the page carries the UI language and
 * the l10n bundle (renderWebviewHtml), the page script configures `l10n.t`
 * from it before it builds its UI (usePageBundle, imported first), and every
 * string of webview/ has a Simplified Chinese translation in
 * l10n/bundle.l10n.zh-cn.json with the same placeholders.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as l10n from '@vscode/l10n';
import { getL10nJson } from '@vscode/l10n-dev';
import { renderAttentionHtml } from '../src/host/logic/attentionHtml';
import { renderPanelHtml, renderWebviewHtml } from '../src/host/logic/panelHtml';
import { L10N_ELEMENT_ID, useBundle, usePageBundle, type L10nBundle } from '../src/shared/l10n';

const root = path.join(__dirname, '..');
const zhCn = JSON.parse(fs.readFileSync(path.join(root, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;

const base = { cspSource: 'https://webview.example', scriptUri: 'https://webview.example/training.js', styleUri: 'https://webview.example/training.css', nonce: 'bm9uY2Vub25jZW5vbmNlMTI=' };

/** The text of the page's l10n data block (everything up to the first `</script`). */
function dataBlock(html: string): string {
  const open = `<script type="application/json" id="${L10N_ELEMENT_ID}">`;
  const start = html.indexOf(open);
  assert.ok(start >= 0, 'no l10n data block');
  const from = start + open.length;
  return html.slice(from, html.indexOf('</script', from));
}

function csp(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'no CSP meta');
  return m[1];
}

describe('webview l10n', () => {
  describe('renderWebviewHtml', () => {
    it('writes the UI language into <html lang> and the bundle into a JSON data block', () => {
      const bundle: L10nBundle = { Step: '步数', '{0} at step {1}': '第 {1} 步：{0}' };
      const html = renderWebviewHtml({ ...base, title: 'Seq2Seq Training', language: 'zh-cn', l10nBundle: bundle });
      assert.match(html, /<html lang="zh-cn">/);
      assert.deepEqual(JSON.parse(dataBlock(html)), bundle);
      // The data block comes before the page script, so the script can read it when it runs.
      assert.ok(html.indexOf(L10N_ELEMENT_ID) < html.indexOf(base.scriptUri));
    });

    it('defaults to English: lang="en" and an empty bundle', () => {
      const html = renderWebviewHtml({ ...base, title: 'Seq2Seq Training' });
      assert.match(html, /<html lang="en">/);
      assert.deepEqual(JSON.parse(dataBlock(html)), {});
    });

    it('a bundle value cannot end the data block or open a comment; the language cannot leave its attribute', () => {
      const evil: L10nBundle = {
        Stop: '</script><script>alert(1)</script>',
        'Open Run Folder': '<!-- <script>',
        Epoch: '</SCRIPT >&amp;"\'',
        '</script>': 'key too',
      };
      const html = renderWebviewHtml({ ...base, title: 'T', language: 'zh-cn"><script>alert(1)</script>', l10nBundle: evil });
      const block = dataBlock(html);
      assert.ok(!/<\/script/i.test(block) && !block.includes('<!--') && !block.includes('<'), `raw markup in the data block: ${block}`);
      assert.deepEqual(JSON.parse(block), evil, 'the bundle reads back unchanged');
      // Exactly the two script elements of the page: the data block and the nonce'd script.
      assert.equal((html.match(/<script/gi) ?? []).length, 2);
      assert.match(html, /<html lang="zh-cn&quot;>&lt;script>alert\(1\)&lt;\/script>">/);
    });

    it('keeps the Content Security Policy strict: no unsafe-inline, scripts only by nonce', () => {
      const html = renderWebviewHtml({ ...base, title: 'T', language: 'zh-cn', l10nBundle: zhCn });
      const policy = csp(html);
      assert.ok(!policy.includes('unsafe-inline') && !policy.includes('unsafe-eval'), policy);
      assert.match(policy, /script-src 'nonce-[^']+'(;|$)/);
      assert.match(policy, /default-src 'none'/);
      // The data block is not executed (a JSON type), so it needs no nonce.
      assert.match(html, new RegExp(`<script type="application/json" id="${L10N_ELEMENT_ID}">`));
    });

    it('the Training panel and the attention view pages pass the language and the bundle on', () => {
      for (const html of [
        renderPanelHtml({ ...base, language: 'zh-cn', l10nBundle: { Step: '步数' } }),
        renderAttentionHtml({ ...base, language: 'zh-cn', l10nBundle: { Step: '步数' } }),
      ]) {
        assert.match(html, /<html lang="zh-cn">/);
        assert.deepEqual(JSON.parse(dataBlock(html)), { Step: '步数' });
      }
    });
  });

  describe('usePageBundle', () => {
    afterEach(() => useBundle({}));

    it('with the zh-cn bundle, l10n.t translates (placeholders filled)', () => {
      usePageBundle(JSON.stringify(zhCn));
      assert.equal(l10n.t('Step'), '步数');
      assert.equal(l10n.t('running'), '训练中');
      assert.equal(l10n.t('{0} at step {1}', '1.68', 9000), '第 9000 步：1.68');
      assert.equal(l10n.t('Finished: {0} at step {1} (epoch {2}).', '提前停止', 102, 6), '已完成：提前停止，结束于第 102 步（第 6 轮）。');
      assert.equal(l10n.t('A string with no translation {0}', 7), 'A string with no translation 7');
    });

    it('reads the page data block as the host wrote it', () => {
      usePageBundle(dataBlock(renderPanelHtml({ ...base, language: 'zh-cn', l10nBundle: { Stop: '停止</script>' } })));
      assert.equal(l10n.t('Stop'), '停止</script>');
    });

    for (const [what, text] of [
      ['no element', undefined],
      ['null text', null],
      ['empty text', ''],
      ['not JSON', '{"Step": "步数"'],
      ['a JSON array', '["步数"]'],
      ['a JSON string', '"步数"'],
      ['JSON null', 'null'],
    ] as const) {
      it(`falls back to English with ${what}`, () => {
        usePageBundle(JSON.stringify(zhCn));
        usePageBundle(text);
        assert.equal(l10n.t('Step'), 'Step');
        assert.equal(l10n.t('{0} at step {1}', '1.68', 9000), '1.68 at step 9000');
      });
    }
  });

  describe('the page scripts', () => {
    for (const page of ['training', 'attention', 'compare']) {
      it(`webview/${page}/main.ts configures the bundle before any other import runs`, () => {
        const src = fs.readFileSync(path.join(root, 'webview', page, 'main.ts'), 'utf8');
        const imports = [...src.matchAll(/^import\s+(?:[^'"]*from\s+)?'([^']+)'/gm)].map((m) => m[1]);
        assert.equal(imports[0], './pageL10n', `first import of main.ts: ${imports[0]}`);
        const init = fs.readFileSync(path.join(root, 'webview', page, 'pageL10n.ts'), 'utf8');
        assert.match(init, /usePageBundle\(document\.getElementById\(L10N_ELEMENT_ID\)\?\.textContent\)/);
      });
    }
  });

  describe('the webviews\' strings in l10n/bundle.l10n.zh-cn.json', () => {
    let extracted: Record<string, string | { message: string }>;
    before(async function () {
      const files: { contents: string; extension: string }[] = [];
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push({ contents: fs.readFileSync(p, 'utf8'), extension: path.extname(p) });
        }
      };
      walk(path.join(root, 'webview'));
      extracted = (await getL10nJson(files)) as typeof extracted;
    });

    const message = (v: string | { message: string }) => (typeof v === 'string' ? v : v.message);
    const placeholders = (s: string) => (s.match(/\{\d+\}/g) ?? []).sort().join(' ');

    it('translates every string of the webviews, with the same placeholders', () => {
      const messages = Object.values(extracted).map(message);
      assert.ok(messages.length >= 60, `only ${messages.length} strings extracted from webview/`);
      const missing = messages.filter((m) => !(m in zhCn));
      assert.deepEqual(missing, [], 'strings without a zh-cn translation');
      const mismatched = messages.filter((m) => placeholders(m) !== placeholders(zhCn[m]));
      assert.deepEqual(mismatched, [], 'translations whose placeholders differ');
    });

    it('every translation is a non-empty string with Chinese punctuation inside Chinese text', () => {
      for (const [k, v] of Object.entries(zhCn)) {
        assert.ok(typeof v === 'string' && v.trim() !== '', `empty translation of ${k}`);
        // An ASCII comma, colon, semicolon or parenthesis right after a CJK character should be full-width.
        assert.ok(!/[\u4e00-\u9fff][,:;()]/.test(v), `ASCII punctuation in Chinese text: ${v}`);
      }
    });
  });
});
