// Smoke test of the standalone router benchmark at a small size: one round, as
// `npm run bench:router:standalone` runs it, must finish, converge every time and give numbers.
// (Meeting the targets at 100k hosts is the benchmark's business, not a test's.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

it('loads a table into a real router process, resumes after a cut and a restart, and a late router converges', async () => {
  const { stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/standalone-router-bench.ts', '--hosts', '500', '--rounds', '1', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.once('error', reject);
    child.once('exit', (exit) => resolvePromise({ code: exit, stdout: out, stderr: err }));
  });
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}', (key, value) => value) as Record<string, unknown>;
  expect(report, stderr).toMatchObject({ hosts: 500, rounds: 1, targets: { loadMs: 2000, first200Ms: 50, reloads: 0 }, reloads: 0, converged: true });
  expect(report.loadMedianMs).toBeGreaterThan(0);
  expect(report.rawTransferMedianMs).toBeGreaterThan(0);
  expect(report.first200MedianMs).toBeGreaterThan(0);
}, 120_000);
