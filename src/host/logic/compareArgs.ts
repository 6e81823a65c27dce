/**
 * The arguments of `seq2seq.compareRuns` (see src/host/compareCommands.ts),
 * resolved to run folders. No `vscode` import (unit-tested in plain Node):
 * tree items are recognised by the predicate the caller passes.
 */

/** Anything that names a run folder (the Models tree's `RunItem`). */
export interface HasRun {
  run: { runDir: string };
}

/**
 * What a `seq2seq.compareRuns` call asks for:
 * - `(runDirs: string[])` (non-empty, all strings) or `(runDir: string)`: `{ dirs }`, exactly those;
 * - `(clicked, selected[])` from the Models tree's context menu: `{ dirs }`
 *   of the selection when the clicked item is one of several selected,
 *   else `{ preselect }` with the clicked run (the user picks the others);
 * - anything else (the palette): `{ preselect: [] }`.
 */
export function resolveCompareArgs(
  first: unknown,
  second: unknown,
  isItem: (v: unknown) => v is HasRun,
): { dirs: string[] } | { preselect: string[] } {
  if (Array.isArray(first) && first.length > 0 && first.every((d) => typeof d === 'string' && d.length > 0)) return { dirs: first as string[] };
  if (typeof first === 'string' && first.length > 0) return { dirs: [first] };
  if (isItem(first)) {
    const selected = Array.isArray(second) ? second.filter(isItem) : [];
    const inSelection = selected.some((s) => s.run.runDir === first.run.runDir);
    if (inSelection && selected.length > 1) return { dirs: selected.map((s) => s.run.runDir) };
    return { preselect: [first.run.runDir] };
  }
  return { preselect: [] };
}
