import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const BUNDLE = path.join(ROOT, 'dist', 'extension.js');
const PROBE = path.join(ROOT, 'bench', 'lib', 'activationProbe.cjs');

describe('extension bundle (dist/extension.js): TensorFlow.js stays off the extension host', function () {
  before(function () {
    // `npm test` builds dist/ first (pretest); a bare `mocha` run without a build has nothing to check.
    if (!existsSync(BUNDLE)) this.skip();
  });

  it('contains no TensorFlow.js code', () => {
    const text = readFileSync(BUNDLE, 'utf8');
    for (const marker of ['@tensorflow/', 'tfjs-core', 'tfjs-backend', 'registerKernel', 'tf.matMul']) {
      assert.ok(!text.includes(marker), `dist/extension.js contains "${marker}"`);
    }
  });

  it('activates in plain Node with a stand-in vscode, registers every contributed command and loads no tfjs module', () => {
    const out = execFileSync(process.execPath, [PROBE, BUNDLE], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { registeredCommands: number; tfjsModules: string[]; error?: string };
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { commands: unknown[] } };
    assert.equal(r.error, undefined, `activate() threw: ${r.error}`);
    assert.equal(r.registeredCommands, pkg.contributes.commands.length, 'every command in package.json is registered on activation');
    assert.deepEqual(r.tfjsModules, [], 'no @tensorflow module is loaded by require + activate');
  });
});
