import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { backendName, describeBackend, initBackend, parseBackendChoice, wasmBinaryDir } from '../src/core/kernels/backend';

const repoRoot = path.join(__dirname, '..');

/** Runs `initBackend()` in a fresh Node process (the choice is once per process) and returns its stdout. */
function initInChild(env: Record<string, string>, preferred?: string): string {
  const script =
    `const b = require(${JSON.stringify(path.join(repoRoot, 'src/core/kernels/backend.ts'))});` +
    `b.initBackend(${preferred ? JSON.stringify(preferred) : ''})` +
    `.then(n => { process.stdout.write(JSON.stringify({ n, d: b.describeBackend() })); })` +
    `.catch(e => { process.stdout.write(JSON.stringify({ err: String(e.message) })); });`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  return execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
    cwd: repoRoot,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60000,
  });
}

describe('core/kernels/backend', () => {
  const savedEnv = process.env.SEQ2SEQ_BACKEND;
  before(() => {
    delete process.env.SEQ2SEQ_BACKEND;
  });
  after(() => {
    if (savedEnv !== undefined) process.env.SEQ2SEQ_BACKEND = savedEnv;
  });

  it('picks wasm when tfjs-node is not installed, and reports it', async () => {
    const name = await initBackend();
    assert.equal(name, 'wasm');
    assert.equal(backendName(), 'wasm');
    const info = describeBackend();
    assert.equal(info.name, 'wasm');
    assert.equal(typeof info.simd, 'boolean');
    assert.ok(info.threads >= 1);
  });

  it('leaves no process-wide rethrowing error listeners behind (wasm glue installs some)', function () {
    this.timeout(60000);
    const script =
      `const before = process.listeners('unhandledRejection').length + process.listeners('uncaughtException').length;` +
      `require(${JSON.stringify(path.join(repoRoot, 'src/core/kernels/backend.ts'))}).initBackend('wasm').then(n => {` +
      `const after = process.listeners('unhandledRejection').length + process.listeners('uncaughtException').length;` +
      `process.stdout.write(JSON.stringify({ n, before, after })); });`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.SEQ2SEQ_BACKEND;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: repoRoot, env, encoding: 'utf8', timeout: 60000 }),
    ) as { n: string; before: number; after: number };
    assert.equal(out.n, 'wasm');
    assert.equal(out.after, out.before);
  });

  it('is idempotent: a second call returns the first result whatever its argument', async () => {
    const first = await initBackend();
    const second = await initBackend('cpu');
    assert.equal(second, first);
    assert.equal(tf.getBackend(), first);
  });

  it('registers gradients and chained tensor methods (tfjs-core alone does not)', async () => {
    await initBackend();
    const g = tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor1d([1, 2, 3]));
    assert.deepEqual(Array.from(g.dataSync()), [2, 4, 6]);
    g.dispose();
  });

  it('finds the wasm binaries', () => {
    const dir = wasmBinaryDir();
    assert.ok(dir.endsWith(path.sep));
    assert.ok(fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')));
  });

  it('parses backend names and rejects unknown ones with a clear message', () => {
    assert.equal(parseBackendChoice(' WASM '), 'wasm');
    assert.equal(parseBackendChoice('tfjs-node'), 'tensorflow');
    assert.throws(() => parseBackendChoice('gpu', 'SEQ2SEQ_BACKEND'), /SEQ2SEQ_BACKEND: unknown TensorFlow.js backend "gpu"; expected one of tensorflow, wasm, cpu/);
  });

  it('honours SEQ2SEQ_BACKEND=cpu over the preference', function () {
    this.timeout(60000);
    const out = JSON.parse(initInChild({ SEQ2SEQ_BACKEND: 'cpu' }, 'wasm')) as { n: string; d: { name: string } };
    assert.equal(out.n, 'cpu');
    assert.equal(out.d.name, 'cpu');
  });

  it('reports an unknown SEQ2SEQ_BACKEND value', function () {
    this.timeout(60000);
    const out = JSON.parse(initInChild({ SEQ2SEQ_BACKEND: 'cuda' })) as { err?: string };
    assert.match(out.err ?? '', /SEQ2SEQ_BACKEND: unknown TensorFlow.js backend "cuda"/);
  });
});
