// Smoke test of the promotion benchmark: one round, as `npm run bench:promotion` runs it, must
// finish and give numbers. (The figures are the benchmark's business, not a test's.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

it('measures the last approval to the next stage’s deploy starting, against a direct deploy', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/promotion-bench.ts', '--rounds', '1', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.once('error', reject);
    child.once('exit', (exit) => resolvePromise({ code: exit, stdout: out, stderr: err }));
  });
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout);
  expect(report).toMatchObject({ rounds: 1, target: { ms: 1000 } });
  expect(report.lastApprovalToDeployStart.median).toBeGreaterThan(0);
  expect(report.directDeployStart.median).toBeGreaterThan(0);
}, 60_000);
