/**
 * Reading what Slurm's commands print: `sbatch --parsable`, `squeue` with
 * the lab's own `-o` format ({@link SQUEUE_FORMAT}), `scontrol show job -o`
 * and `sacct -P`, and the mapping of Slurm's job states onto the lab's six
 * ({@link RunState}). Only output formats that Slurm 20.11 and later print
 * alike are used: no `--json`, no `SQUEUE_FORMAT` from the environment
 * (the commands run with it cleared, see `slurmEnv`). Plain functions over
 * text, tested against recorded samples (test/fixtures/slurm/). No `vscode`
 * import.
 */

/** The lab's states of a run, whoever runs it. */
export type RunState = 'queued' | 'running' | 'done' | 'failed' | 'timed out' | 'cancelled';

/** The states a run can still leave (it waits or trains). */
export function isActive(state: RunState): boolean {
  return state === 'queued' || state === 'running';
}

/**
 * The lab's state for a Slurm job state (`squeue %T`, `scontrol JobState=`,
 * `sacct State`, which may add " by <uid>"): PENDING, REQUEUED, … → queued;
 * RUNNING, COMPLETING, … → running; COMPLETED → done; TIMEOUT, DEADLINE →
 * timed out; CANCELLED, PREEMPTED, REVOKED → cancelled; FAILED, NODE_FAIL,
 * OUT_OF_MEMORY, BOOT_FAIL, … → failed. Undefined for a state Slurm has not
 * documented (the caller says so).
 */
export function mapSlurmState(slurmState: string): RunState | undefined {
  const s = slurmState.trim().split(/\s+/)[0]!.replace(/\+$/, '').toUpperCase();
  switch (s) {
    case 'PENDING':
    case 'PD':
    case 'REQUEUED':
    case 'RQ':
    case 'REQUEUE_FED':
    case 'RF':
    case 'REQUEUE_HOLD':
    case 'RH':
    case 'CONFIGURING':
    case 'CF':
    case 'RESV_DEL_HOLD':
    case 'RD':
    case 'SPECIAL_EXIT':
    case 'SE':
    case 'SUSPENDED':
    case 'S':
    case 'STOPPED':
    case 'ST':
      return 'queued';
    case 'RUNNING':
    case 'R':
    case 'COMPLETING':
    case 'CG':
    case 'SIGNALING':
    case 'SI':
    case 'STAGE_OUT':
    case 'SO':
    case 'RESIZING':
    case 'RS':
      return 'running';
    case 'COMPLETED':
    case 'CD':
      return 'done';
    case 'TIMEOUT':
    case 'TO':
    case 'DEADLINE':
    case 'DL':
      return 'timed out';
    case 'CANCELLED':
    case 'CA':
    case 'PREEMPTED':
    case 'PR':
    case 'REVOKED':
    case 'RV':
      return 'cancelled';
    case 'FAILED':
    case 'F':
    case 'NODE_FAIL':
    case 'NF':
    case 'OUT_OF_MEMORY':
    case 'OOM':
    case 'BOOT_FAIL':
    case 'BF':
      return 'failed';
    default:
      return undefined;
  }
}

/** Output that does not have the shape the lab asked Slurm for. */
export class SlurmOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmOutputError';
  }
}

/**
 * The job id `sbatch --parsable` prints: `123`, or `123;cluster` on a
 * multi-cluster installation. Warnings sbatch writes before it (e.g.
 * "sbatch: warning: …" on stdout in some versions) are skipped.
 * @throws SlurmOutputError when no line is a job id
 */
export function parseSbatchParsable(stdout: string): { jobId: string; cluster?: string } {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\d+)(?:;(\S+))?$/.exec(lines[i]!);
    if (m) return { jobId: m[1]!, ...(m[2] ? { cluster: m[2] } : {}) };
  }
  throw new SlurmOutputError(`sbatch --parsable printed no job id: ${JSON.stringify(stdout.trim().slice(0, 200))}`);
}

/**
 * Slurm's own words for a refused submission, from sbatch's stderr: its
 * error lines without the `sbatch: error:` and `Batch job submission
 * failed:` prefixes, joined ("invalid partition specified: nosuch; Invalid
 * partition name specified"); all of stderr when it has no error line.
 */
export function sbatchRefusal(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /error/i.test(l)).map((l) => l.replace(/^sbatch:\s*(error:\s*)?/i, '').replace(/^Batch job submission failed:\s*/i, ''));
  return [...new Set(errors.length ? errors : lines)].join('; ') || 'sbatch exited without a message';
}

/**
 * The `squeue -o` format the lab uses: job id as shown (`123_4` for an
 * array task), state, reason, nodes, time used, restarts are not in squeue.
 * `|` separates fields (it appears in none of them).
 */
export const SQUEUE_FORMAT = '%i|%T|%r|%N|%M';

/** One line of `squeue -h -r -t all -o SQUEUE_FORMAT`. */
export interface QueueEntry {
  /** `123` for a plain job, `123_4` for task 4 of array 123. */
  jobId: string;
  /** Slurm's state, e.g. PENDING. */
  slurmState: string;
  state: RunState | undefined;
  /** Why it waits (PENDING) or ended, e.g. `Priority`, `JobArrayTaskLimit`, `BeginTime`; absent for `None`. */
  reason?: string;
  /** Node list (absent while pending). */
  nodes?: string;
  /** Time used, as squeue prints it (e.g. `1:02`). */
  elapsed?: string;
}

/**
 * Parse `squeue -h -r -t all -o '%i|%T|%r|%N|%M'` (one job or array task a
 * line). Pending array tasks that squeue still folds into one line
 * (`123_[4-7%2]`, from versions that ignore `-r` for them) are expanded.
 * @throws SlurmOutputError for a line with another number of fields
 */
export function parseSqueue(stdout: string): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const f = line.split('|');
    if (f.length !== 5) throw new SlurmOutputError(`unexpected squeue line (expected 5 fields of ${SQUEUE_FORMAT}): ${JSON.stringify(line)}`);
    const [id, st, reason, nodes, elapsed] = f.map((x) => x.trim()) as [string, string, string, string, string];
    const base = {
      slurmState: st,
      state: mapSlurmState(st),
      ...(reason && reason !== 'None' && reason !== '(null)' ? { reason } : {}),
      ...(nodes && nodes !== '(null)' ? { nodes } : {}),
      ...(elapsed ? { elapsed } : {}),
    };
    for (const jobId of expandArrayId(id)) out.push({ jobId, ...base });
  }
  return out;
}

/** `123_[0-2,5%2]` → `123_0`, `123_1`, `123_2`, `123_5`; any other id as it is. */
export function expandArrayId(id: string): string[] {
  const m = /^(\d+)_\[([^\]]+)\]$/.exec(id);
  if (!m) return [id];
  const ids: string[] = [];
  for (const part of m[2]!.replace(/%\d+$/, '').split(',')) {
    const r = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part);
    if (!r) return [id];
    const from = Number(r[1]);
    const to = r[2] !== undefined ? Number(r[2]) : from;
    const step = r[3] !== undefined ? Number(r[3]) : 1;
    for (let i = from; i <= to; i += step) ids.push(`${m[1]}_${i}`);
  }
  return ids;
}

/**
 * Records of `scontrol show job -o` (one job or array task a line, as
 * `Key=Value` pairs). A value runs to the next ` Key=` (values such as
 * `Command=` or `WorkDir=` may hold spaces).
 */
export function parseScontrolJobs(stdout: string): Record<string, string>[] {
  const records: Record<string, string>[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || !/^JobId=/.test(line)) continue;
    const rec: Record<string, string> = {};
    const re = /(?:^|\s)([A-Za-z][A-Za-z0-9_/:]*)=/g;
    const marks: { key: string; start: number; valueStart: number }[] = [];
    for (let m = re.exec(line); m; m = re.exec(line)) marks.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
    marks.forEach((k, i) => {
      const end = i + 1 < marks.length ? marks[i + 1]!.start : line.length;
      if (!(k.key in rec)) rec[k.key] = line.slice(k.valueStart, end).trim();
    });
    records.push(rec);
  }
  return records;
}

/** What the lab reads of one `scontrol show job -o` record. */
export interface ScontrolJob {
  /** `123_4` for an array task (ArrayJobId_ArrayTaskId), else JobId. */
  jobId: string;
  slurmState: string;
  state: RunState | undefined;
  reason?: string;
  /** Times the job was requeued (Restarts=). */
  restarts: number;
  /** `ExitCode=2:0` → { code: 2, signal: 0 }. */
  exitCode?: { code: number; signal: number };
  nodes?: string;
  stdout?: string;
  stderr?: string;
}

/** {@link parseScontrolJobs}, keeping the fields the lab uses. */
export function parseScontrolShowJob(stdout: string): ScontrolJob[] {
  return parseScontrolJobs(stdout).map((r) => {
    const arrayJob = r.ArrayJobId;
    const task = r.ArrayTaskId;
    const jobId = arrayJob && task && /^\d+$/.test(task) ? `${arrayJob}_${task}` : (r.JobId ?? '');
    const slurmState = r.JobState ?? '';
    const ec = /^(\d+):(\d+)$/.exec(r.ExitCode ?? '');
    const nodes = r.NodeList && r.NodeList !== '(null)' ? r.NodeList : undefined;
    return {
      jobId,
      slurmState,
      state: mapSlurmState(slurmState || 'UNKNOWN'),
      ...(r.Reason && r.Reason !== 'None' ? { reason: r.Reason } : {}),
      restarts: Number(r.Restarts ?? 0) || 0,
      ...(ec ? { exitCode: { code: Number(ec[1]), signal: Number(ec[2]) } } : {}),
      ...(nodes ? { nodes } : {}),
      ...(r.StdOut ? { stdout: r.StdOut } : {}),
      ...(r.StdErr ? { stderr: r.StdErr } : {}),
    };
  });
}

/** The `sacct` fields the lab asks for, with `-P -n -X` (parsable, no header, allocations only). */
export const SACCT_FORMAT = 'JobID,State,ExitCode';

/**
 * Parse `sacct -P -n -X -o JobID,State,ExitCode` (`|`-separated); later
 * lines for the same id (a requeued job's earlier attempts come first) win.
 */
export function parseSacct(stdout: string): QueueEntry[] {
  const byId = new Map<string, QueueEntry>();
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const f = line.split('|');
    if (f.length < 2) throw new SlurmOutputError(`unexpected sacct line (expected ${SACCT_FORMAT}): ${JSON.stringify(line)}`);
    const [id, st] = f as [string, string];
    byId.set(id, { jobId: id, slurmState: st.split(/\s+/)[0]!, state: mapSlurmState(st) });
  }
  return [...byId.values()];
}

/**
 * Node names of a Slurm host list (`node[01-03,7],gpu1` → node01, node02,
 * node03, node7, gpu1), as `scontrol show hostnames` would print them; for
 * the shared-file-system check when scontrol is not at hand.
 */
export function expandHostList(list: string): string[] {
  const out: string[] = [];
  // Split on commas outside brackets.
  let depth = 0;
  let cur = '';
  const parts: string[] = [];
  for (const ch of list.trim()) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) parts.push(cur);
  for (const p of parts) {
    const m = /^([^[]*)\[([^\]]+)\](.*)$/.exec(p);
    if (!m) {
      if (p) out.push(p);
      continue;
    }
    for (const r of m[2]!.split(',')) {
      const rr = /^(\d+)(?:-(\d+))?$/.exec(r);
      if (!rr) continue;
      const width = rr[1]!.length;
      const to = rr[2] !== undefined ? Number(rr[2]) : Number(rr[1]);
      for (let i = Number(rr[1]); i <= to; i++) out.push(`${m[1]}${String(i).padStart(width, '0')}${m[3]}`);
    }
  }
  return out;
}
