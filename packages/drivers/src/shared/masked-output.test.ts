// Processes started with secrets write their log files through the masking filter: what reaches the
// file is masked as core's masker masks it, the group leader exits as the command did, a graceful
// stop still works, and a filter without its list of forms withholds the output.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretMasker } from '@slipway/core';
import { maskedCommand } from './masked-output.ts';
import { signalGroup, spawnGroup } from './process-group.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-masked-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const secret = 'hunter2-"quoted" /and+more';
const masker = createSecretMasker({ token: secret, other: 'overlapping-hunter2' });
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', TOKEN: secret };
let n = 0;
const logFile = () => join(dir, `${++n}.log`);

describe('masked output', () => {
  it('masks every form in the log file, as core masks it, and keeps the exit code', async () => {
    const logPath = logFile();
    const script = [
      'console.log("plain", process.env.TOKEN);',
      'console.error("stderr", Buffer.from(process.env.TOKEN).toString("base64"));',
      'console.log("json", JSON.stringify({ t: process.env.TOKEN }), "url", encodeURIComponent(process.env.TOKEN));',
      'console.log("overlap overlapping-hunter2-\\"quoted\\" /and+more end");',
      'process.stdout.write("no newline " + process.env.TOKEN);',
      'process.exit(7);',
    ].join('\n');
    const running = spawnGroup([process.execPath, '-e', script], { cwd: dir, env, logPath, mask: masker.forms });
    expect(await running.exited).toMatchObject({ code: 7, signal: null });
    const text = readFileSync(logPath, 'utf8');
    expect(text).not.toContain('hunter2');
    const raw = ['plain ' + secret, 'stderr ' + Buffer.from(secret).toString('base64'), `json ${JSON.stringify({ t: secret })} url ${encodeURIComponent(secret)}`, `overlap overlapping-hunter2-"quoted" /and+more end`, `no newline ${secret}`];
    expect(text.split('\n').sort()).toEqual(raw.map(masker.mask).sort());
    expect(text).toContain('overlap *** end');
  });

  it('writes straight to the file without secrets', async () => {
    const logPath = logFile();
    const running = spawnGroup(['/bin/sh', '-c', 'echo "$TOKEN" > /dev/stdout'], { cwd: dir, env, logPath, mask: [] });
    await running.exited;
    expect(readFileSync(logPath, 'utf8')).toBe(`${secret}\n`);
  });

  it('lets a command stop gracefully on SIGTERM, with what it prints then masked', async () => {
    const logPath = logFile();
    const running = spawnGroup(['/bin/sh', '-c', 'trap \'echo "stopping $TOKEN"; exit 0\' TERM; echo started; sleep 30 & wait'], { cwd: dir, env, logPath, mask: masker.forms });
    await waitFor(() => readFileSync(logPath, 'utf8').includes('started'));
    signalGroup(running.pid, 'SIGTERM');
    expect(await running.exited).toMatchObject({ code: 0 });
    expect(readFileSync(logPath, 'utf8')).toContain('stopping ***');
  });

  it('ends as the command did when a signal killed it', async () => {
    const logPath = logFile();
    const running = spawnGroup(['/bin/sh', '-c', 'echo started; exec sleep 30'], { cwd: dir, env, logPath, mask: masker.forms });
    await waitFor(() => readFileSync(logPath, 'utf8').includes('started'));
    signalGroup(running.pid, 'SIGTERM');
    expect(await running.exited).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('withholds the output when the filter gets no list of forms', async () => {
    const logPath = logFile();
    const masked = maskedCommand(['/bin/sh', '-c', 'echo "$TOKEN"'], env);
    const fd = openSync(logPath, 'a');
    const child = spawn(masked.argv[0]!, masked.argv.slice(1), { env: masked.env, stdio: ['ignore', fd, fd, 'ignore', 'ignore', 'pipe'] });
    (child.stdio as unknown as (Socket | null)[])[5]!.destroy();
    await new Promise((resolve) => child.once('exit', resolve));
    const text = readFileSync(logPath, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('output withheld');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
