// One command in a container of its own (a managed workflow step with an image): its variables and
// the host folder at /work, the exit code as the outcome, the log tail, a timeout, a leftover of an
// earlier run replaced, an image that is not there, and nothing left on the engine afterwards.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOneOffContainer, type OneOffContainerRequest } from './one-off-container.ts';
import { BUSYBOX_IMAGE } from './test-support/base-images.ts';
import { testEngine } from './test-support/engine-for-tests.ts';

const engine = await testEngine();
const LABEL = `dev.slipway.test-one-off=${process.pid}`;

describe.skipIf(engine.skipReason !== undefined)(`one-off containers${engine.skipReason ? ` (skipped: ${engine.skipReason})` : ''}`, () => {
  const docker = engine.docker!;
  const work = mkdtempSync(join(tmpdir(), 'slipway-one-off-'));
  let n = 0;
  const request = (over: Partial<OneOffContainerRequest>): OneOffContainerRequest => ({
    name: `slipway-test-one-off-${process.pid}-${++n}`,
    image: BUSYBOX_IMAGE,
    command: 'true',
    env: {},
    workDir: work,
    timeoutMs: 20_000,
    labels: { 'dev.slipway.test-one-off': String(process.pid) },
    what: 'step test',
    ...over,
  });
  const ours = async () => docker.listContainers({ all: true, filters: { label: [LABEL] } });

  afterAll(async () => {
    for (const c of await ours()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the command in the image with only its variables, in the host folder at /work, and removes the container', async () => {
    writeFileSync(join(work, 'in.txt'), 'from the host\n');
    const result = await runOneOffContainer(
      docker,
      request({ command: 'cat in.txt; echo "token=$DEPLOY_TOKEN home=$HOME pwd=$(pwd) path=${SLIPWAY_SECRET_KEY:-unset}"; hostname > host.txt', env: { DEPLOY_TOKEN: 't0k3n' } }),
    );
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect(result.logTail).toBe('from the host\ntoken=t0k3n home=/work pwd=/work path=unset\n');
    // It ran in a container: another hostname than this machine's, written back through /work.
    expect(readFileSync(join(work, 'host.txt'), 'utf8').trim()).not.toBe(hostname());
    expect(await ours()).toEqual([]);
  }, 60_000);

  it('takes an argument list as the command, and a non-zero exit as failed with its log', async () => {
    const list = await runOneOffContainer(docker, request({ command: ['echo', 'a b', '$NOT_EXPANDED'] }));
    expect(list).toMatchObject({ outcome: 'succeeded', logTail: 'a b $NOT_EXPANDED\n' });
    const failed = await runOneOffContainer(docker, request({ command: 'echo broken >&2; exit 3' }));
    expect(failed).toMatchObject({ outcome: 'failed', reason: 'exited with 3', exitCode: 3, logTail: 'broken\n' });
  }, 60_000);

  it('stops a command that outlives its timeout', async () => {
    const started = Date.now();
    const result = await runOneOffContainer(docker, request({ command: 'echo waiting; sleep 30', timeoutMs: 1_500 }));
    expect(result).toMatchObject({ outcome: 'failed', reason: 'timed out after 2s' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await ours()).toEqual([]);
  }, 60_000);

  it('replaces a leftover container of the same run (a server stopped during it) instead of failing on its name', async () => {
    const name = `slipway-test-one-off-${process.pid}-leftover`;
    await docker.createContainer({ name, Image: BUSYBOX_IMAGE, Cmd: ['sleep', '60'], Labels: { 'dev.slipway.test-one-off': String(process.pid) } });
    const result = await runOneOffContainer(docker, request({ name, command: 'echo again' }));
    expect(result).toMatchObject({ outcome: 'succeeded', logTail: 'again\n' });
    expect(await ours()).toEqual([]);
  }, 60_000);

  it('fails, naming the image, when the engine neither has it nor can pull it', async () => {
    const result = await runOneOffContainer(docker, request({ image: 'registry.invalid/nobody/nothing:1' }));
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/^step test: the image registry\.invalid\/nobody\/nothing:1 is not on the engine and could not be pulled/);
    expect(await ours()).toEqual([]);
  }, 60_000);
});
