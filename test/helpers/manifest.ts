/**
 * package.json as VS Code reads it for a display language: every string
 * value of the form `%key%` replaced by its entry in `package.nls.json`
 * (English) or `package.nls.<locale>.json` (falling back to English), as VS
 * Code's extension scanner does.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');

const readJson = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

/** The `package.nls[.locale].json` table (`{}` when the file is missing). */
export function nlsTable(locale?: string): Record<string, string> {
  const file = locale ? `package.nls.${locale}.json` : 'package.nls.json';
  return existsSync(path.join(ROOT, file)) ? (readJson(file) as Record<string, string>) : {};
}

/** @returns the manifest with `%key%` strings resolved; @throws Error naming a key that has no English entry */
export function localizedManifest<T = Record<string, unknown>>(locale?: string): T {
  const english = nlsTable();
  const local = locale ? nlsTable(locale) : {};
  const resolve = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = /^%(.+)%$/.exec(v);
      if (!m) return v;
      const text = local[m[1]] ?? english[m[1]];
      if (text === undefined) throw new Error(`package.json: ${v} has no entry in package.nls.json`);
      return text;
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    return v;
  };
  return resolve(readJson('package.json')) as T;
}
