// Smoke test of the idle CPU benchmark: one short round on a few hundred seeded environments, as
// `npm run bench:idle` runs it, must start the server on them, measure both processes and report.
// (Whether the target is met is the benchmark's business, not a test's: one second is too noisy.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

it('seeds environments, starts a server on them and measures its idle CPU beside a bare node server', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/idle-cpu-bench.ts', '--environments', '300', '--rounds', '1', '--window', '1', '--settle', '0', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.once('error', reject);
    child.once('exit', (exit) => resolvePromise({ code: exit, stdout: out, stderr: err }));
  });
  expect([0, 1], stderr).toContain(code);
  const report = JSON.parse(stdout);
  expect(report).toMatchObject({ environments: 300, rounds: 1, targetPercent: 2, met: code === 0 });
  expect(report.results).toHaveLength(1);
  expect(report.serverPercent).toBeGreaterThanOrEqual(0);
  expect(report.baselinePercent).toBeGreaterThanOrEqual(0);
}, 120_000);

it('refuses a count that is not a whole number, naming the option', async () => {
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/idle-cpu-bench.ts', '--environments', 'many'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.once('error', reject);
    child.once('exit', (exit) => resolvePromise({ code: exit, stderr: err }));
  });
  expect(code).not.toBe(0);
  expect(stderr).toContain('--environments: expected a whole number from 1, got "many"');
}, 60_000);
