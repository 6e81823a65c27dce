/**
 * Localisation outside the `vscode` API: the host's plain modules
 * (src/host/logic/, src/shared/), the webviews and the CLI translate their
 * strings with `l10n.t('English text {0}', arg)` from `@vscode/l10n`
 * (imported as `import * as l10n from '@vscode/l10n'` in the file itself:
 * `@vscode/l10n-dev` extracts only calls on that import), which
 * looks them up in the same bundle VS Code loads for the extension
 * (`l10n/bundle.l10n.<locale>.json`, keyed by the English text; a missing
 * entry falls back to the English).
 *
 * Who loads the bundle:
 * - the extension host: `activate` passes `vscode.l10n.bundle` to {@link useBundle};
 * - a webview: the host writes the bundle into the page (see
 *   `renderWebviewHtml` in src/host/logic/panelHtml.ts) and the page's script
 *   calls {@link useBundle} before it builds its UI;
 * - the CLI: {@link cliLocale} picks the locale from the environment and
 *   src/cli/l10n.ts reads the bundle from the package's `l10n/` folder.
 *
 * `npm run l10n` writes `l10n/bundle.l10n.json` (every string, extracted with
 * `@vscode/l10n-dev`); test/l10n.test.ts fails when a string has no zh-cn
 * translation or a translation no longer has a string.
 */
import * as l10n from '@vscode/l10n';

/** Bundle contents: English text (or `text/comment` key) → translation. */
export type L10nBundle = Record<string, string | { message: string; comment: string[] }>;

/** Id of a webview page's `<script type="application/json">` block that holds the bundle. */
export const L10N_ELEMENT_ID = 'seq2seq-l10n';

/**
 * In a webview: translate with the bundle the host wrote into the page
 * (the text of the element {@link L10N_ELEMENT_ID}). Missing or unreadable
 * text leaves the page in English rather than failing.
 */
export function usePageBundle(json: string | null | undefined): void {
  let bundle: L10nBundle = {};
  try {
    const parsed: unknown = json ? JSON.parse(json) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) bundle = parsed as L10nBundle;
  } catch {
    // English
  }
  useBundle(bundle);
}

/** Locales with a bundle in `l10n/` (besides English, the source language). */
export const TRANSLATED_LOCALES = ['zh-cn'] as const;
export type TranslatedLocale = (typeof TRANSLATED_LOCALES)[number];

/** Translate with `bundle` from now on (`undefined` or `{}`: English). Call before the first `l10n.t`. */
export function useBundle(bundle: L10nBundle | undefined): void {
  l10n.config({ contents: bundle ?? {} });
}

/**
 * The translated locale a VS Code language id or a POSIX locale names, if any:
 * `zh-cn`, `zh-CN`, `zh_CN.UTF-8`, `zh-Hans`, `zh_SG` → `zh-cn`; `en_US.UTF-8`,
 * `C`, `POSIX`, `zh-tw` (Traditional Chinese, not translated) → undefined.
 */
export function translatedLocale(id: string | undefined): TranslatedLocale | undefined {
  if (!id) return undefined;
  const norm = id.split('.')[0].replace('_', '-').toLowerCase();
  if (/^zh(-(cn|sg|hans)(-.*)?)?$/.test(norm)) return 'zh-cn';
  return undefined;
}

/**
 * The CLI's locale: `SEQ2SEQ_LOCALE` if set (e.g. `zh-cn`, `en`), else the
 * first non-empty of `LC_ALL`, `LC_MESSAGES`, `LANG` (the POSIX order).
 * @returns a translated locale, or undefined for English.
 */
export function cliLocale(env: NodeJS.ProcessEnv = process.env): TranslatedLocale | undefined {
  const explicit = env.SEQ2SEQ_LOCALE?.trim();
  if (explicit) return translatedLocale(explicit);
  const posix = [env.LC_ALL, env.LC_MESSAGES, env.LANG].map((v) => v?.trim()).find((v) => v);
  return translatedLocale(posix);
}
