/**
 * What both benchmarks (`bench/run.ts`, `bench/quality.ts`) need to know
 * about the machine: a Python that can import torch, the environment a
 * one-thread PyTorch peer runs in, the git commit and the hardware.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** A Python interpreter that can import torch (the one on the path first, then the system's), or null. */
export function findPython(): { python: string; torch: string } | null {
  for (const python of ['python3', '/usr/bin/python3', 'python']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60000, env: peerEnv(1) });
    if (r.status === 0) return { python, torch: r.stdout.trim() };
  }
  return null;
}

/**
 * Environment of a PyTorch peer on `threads` threads: OpenBLAS and OpenMP
 * limited to them, and OpenBLAS's core-type / cache-size overrides removed
 * (Debian's OpenBLAS misdetects with them set on some machines).
 */
export function peerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Short hash of the checked-out commit, when in a git work tree. */
export function gitCommit(): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The tfjs-core version in node_modules. */
export function tfjsVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
}

/** CPU, cores, memory, platform, Node and tfjs versions, date and commit. */
export function machine(): { cpu: string; cores: number; memoryGb: number; platform: string; node: string; tfjs: string; date: string; commit?: string } {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    tfjs: tfjsVersion(),
    date: new Date().toISOString(),
    commit: gitCommit(),
  };
}

/** The SIMD form a benchmark child may use: `relaxed` = the fastest the runtime validates; `simd` = without relaxed SIMD. */
export type SimdChoice = 'relaxed' | 'simd';

/**
 * Node flags for a child that may use relaxed SIMD: Node 20 validates it only
 * with `--experimental-wasm-relaxed-simd` (VS Code's extension host and Node
 * 22 do by default, which is what the benchmark stands for).
 */
export function relaxedSimdFlags(simd: SimdChoice): string[] {
  const major = Number(process.versions.node.split('.')[0]);
  return simd === 'relaxed' && major === 20 ? ['--experimental-wasm-relaxed-simd'] : [];
}
