/**
 * Following a metrics.jsonl another machine appends to (src/host/logic/metricsFollower.ts):
 * only complete lines, only what is new, and the whole file again once it shrank
 * (a requeued Slurm task resuming from last/ cuts it back).
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MetricsFollower } from '../src/host/logic/metricsFollower';

describe('MetricsFollower', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-follow-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const line = (step: number) => JSON.stringify({ type: 'progress', step }) + '\n';
  const steps = (r: Awaited<ReturnType<MetricsFollower['poll']>>) => r?.events.map((e) => (e as { step: number }).step);

  it('reads appended complete lines, waits for a torn one, and starts over when the file shrank', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    const f = new MetricsFollower(file);
    assert.equal(await f.poll(), undefined, 'no file yet');
    await fs.writeFile(file, line(5) + line(10));
    let r = await f.poll();
    assert.deepEqual([r?.reset, steps(r)], [true, [5, 10]]);
    assert.equal(await f.poll(), undefined, 'nothing new');
    const next = line(15);
    await fs.appendFile(file, next.slice(0, 10));
    r = await f.poll();
    assert.deepEqual(steps(r) ?? [], [], 'half a line is not read');
    await fs.appendFile(file, next.slice(10) + line(20));
    r = await f.poll();
    assert.deepEqual([r?.reset, steps(r)], [false, [15, 20]]);
    // A resumed run cuts the file back to its checkpoint, then appends again.
    await fs.writeFile(file, line(5) + line(10) + line(12));
    r = await f.poll();
    assert.deepEqual([r?.reset, steps(r)], [true, [5, 10, 12]]);
    // Cut back and written past the old length again between two polls: still read from the start.
    const old = (await fs.stat(file)).size;
    await fs.writeFile(file, line(5) + JSON.stringify({ type: 'progress', step: 11, loss: 0.123456789 }) + '\n' + line(13) + line(14));
    assert.ok((await fs.stat(file)).size > old);
    r = await f.poll();
    assert.deepEqual([r?.reset, steps(r)], [true, [5, 11, 13, 14]]);
  });
});
