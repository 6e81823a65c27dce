/**
 * The CLI's language: Simplified Chinese when the environment asks for it
 * (`SEQ2SEQ_LOCALE=zh-cn`, or `LC_ALL` / `LC_MESSAGES` / `LANG` such as
 * `zh_CN.UTF-8`), else English. The strings come from the same bundle as the
 * extension's (`l10n/bundle.l10n.<locale>.json` in the package folder).
 * Engine errors (src/core) and commander's own parse errors stay English.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { cliLocale, useBundle, type L10nBundle, type TranslatedLocale } from '../shared/l10n';

/**
 * Load the bundle of the environment's locale before any `l10n.t` call.
 * @param root the package folder (holds `l10n/`)
 * @returns the locale in use, or undefined for English (also when its bundle cannot be read)
 */
export function setUpCliL10n(root: string, env: NodeJS.ProcessEnv = process.env): TranslatedLocale | undefined {
  const locale = cliLocale(env);
  if (!locale) {
    useBundle({});
    return undefined;
  }
  try {
    useBundle(JSON.parse(readFileSync(path.join(root, 'l10n', `bundle.l10n.${locale}.json`), 'utf8')) as L10nBundle);
    return locale;
  } catch {
    useBundle({});
    return undefined;
  }
}
