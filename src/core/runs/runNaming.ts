/**
 * Naming rules for configs and run folders. No `vscode` import.
 */
import * as path from 'path';

/** Suffixes recognised as config files, longest first. */
const CONFIG_SUFFIXES = ['.seq2seq.json', '.config.json', '.json'];

/**
 * The run name a config file implies: `fra-eng.seq2seq.json` -> "fra-eng",
 * `sample-data/tiny.config.json` -> "tiny", and for the conventional
 * `seq2seq.config.json` the name of its folder.
 */
export function configNameFromPath(configPath: string): string {
  const base = path.basename(configPath);
  if (base.toLowerCase() === 'seq2seq.config.json') {
    return path.basename(path.dirname(path.resolve(configPath))) || 'seq2seq';
  }
  for (const suffix of CONFIG_SUFFIXES) {
    if (base.toLowerCase().endsWith(suffix) && base.length > suffix.length) return base.slice(0, -suffix.length);
  }
  return base;
}

/**
 * A name safe for a folder on every OS: letters, digits, `.`, `_` and `-`
 * kept, everything else collapsed to `-`, at most 60 characters, never empty.
 */
export function sanitizeName(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60)
    .replace(/[-.]+$/g, '');
  return s || 'run';
}

/** Local time as `YYYYMMDD-HHMMSS`. */
export function timestamp(date: Date): string {
  const p = (v: number, n = 2) => String(v).padStart(n, '0');
  return (
    `${p(date.getFullYear(), 4)}${p(date.getMonth() + 1)}${p(date.getDate())}-` +
    `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`
  );
}

/** Run folder name `<config-name>-<YYYYMMDD-HHMMSS>` (local time). */
export function runDirName(configName: string, date: Date): string {
  return `${sanitizeName(configName)}-${timestamp(date)}`;
}

/**
 * Absolute run folder `<workspace>/<runsFolder>/<name>-<stamp>`; when that
 * exists already (two starts in one second), `-2`, `-3`, … is appended.
 * `runsFolder` may be absolute.
 */
export function chooseRunDir(
  workspaceDir: string,
  runsFolder: string,
  configName: string,
  date: Date,
  exists: (p: string) => boolean,
): string {
  const parent = path.resolve(workspaceDir, runsFolder || 'runs');
  const base = runDirName(configName, date);
  let candidate = path.join(parent, base);
  for (let i = 2; exists(candidate); i++) candidate = path.join(parent, `${base}-${i}`);
  return candidate;
}

/** `dir/stem.ext`, or `dir/stem-2.ext`, `-3`, … when taken. `ext` includes the dot(s). */
export function uniqueFile(dir: string, stem: string, ext: string, exists: (p: string) => boolean): string {
  let candidate = path.join(dir, stem + ext);
  for (let i = 2; exists(candidate); i++) candidate = path.join(dir, `${stem}-${i}${ext}`);
  return candidate;
}

/**
 * A location inside a config error message: the loader reports
 * `file:line[:column]: what was expected`. Returns undefined when the
 * message names no line.
 */
export function parseErrorLocation(message: string): { file: string; line: number; column?: number } | undefined {
  // Windows drive letters contain a colon, so match the last "path:line(:col)" before ": " or end.
  const m = /^(.*?\S):(\d+)(?::(\d+))?(?::\s|\s*$|\s)/m.exec(message);
  if (!m) return undefined;
  const line = Number(m[2]);
  if (!Number.isInteger(line) || line < 1) return undefined;
  return { file: m[1].trim(), line, ...(m[3] !== undefined ? { column: Number(m[3]) } : {}) };
}
