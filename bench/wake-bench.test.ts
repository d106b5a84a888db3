// Smoke test of the wake benchmark: one round of each side, as `npm run bench:wake` runs it, must
// finish and give numbers. (The figures themselves are the benchmark's business, not a test's.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/wake-bench.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

it('wakes the paused guestbook by hand and on request once each, and reports both with their ratio', async () => {
  const { code, stdout, stderr } = await runBench(['--rounds', '1', '--json']);
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout);
  expect(report).toMatchObject({ rounds: 1, targetMs: 2_000 });
  expect(report.samples.hand).toHaveLength(1);
  expect(report.samples.wake).toHaveLength(1);
  for (const ms of [...report.samples.hand, ...report.samples.wake]) expect(ms).toBeGreaterThan(0);
  expect(Number.isFinite(report.ratio)).toBe(true);
}, 90_000);
