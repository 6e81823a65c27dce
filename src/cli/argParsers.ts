/**
 * Commander argument parsers of the CLI's options (`main.ts`, `slurmCli.ts`):
 * each returns the value or throws commander's InvalidArgumentError with a
 * translated message. No `vscode` import.
 */
import { InvalidArgumentError } from 'commander';
import * as l10n from '@vscode/l10n';
import { parseSeedList } from '../core/experiments/ablation';

/** A whole number ≥ 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(l10n.t('expected a positive integer'));
  return n;
}

/** A whole number ≥ 0. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(l10n.t('expected an integer ≥ 0'));
  return n;
}

/** A number ≥ 0. */
export function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(l10n.t('expected a number ≥ 0'));
  return n;
}

/** A number > 0. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(l10n.t('expected a number > 0'));
  return n;
}

/** `--seeds 1,2,3`: distinct whole numbers ≥ 0. */
export function seedList(value: string): number[] {
  const r = parseSeedList(value);
  if ('notASeed' in r) throw new InvalidArgumentError(l10n.t('expected a comma-separated list of whole numbers ≥ 0, e.g. 1,2,3 (got "{0}")', r.notASeed));
  if ('twice' in r) throw new InvalidArgumentError(l10n.t('seed {0} is given twice', r.twice));
  return r.seeds;
}
