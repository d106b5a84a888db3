// Smoke test of the audit verify benchmark: a small ledger, one round, as `npm run bench:audit` runs
// it, must verify, find the edited row and give numbers. (The figures are the benchmark's business.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

it('verifies a small ledger, reports its rate and finds the edited row', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const args = ['--expose-gc', '--import', 'tsx', 'bench/audit-verify-bench.ts', '--entries', '3000', '--appends', '50', '--batch', '700', '--rounds', '1', '--json'];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.once('error', reject);
    child.once('exit', (exit) => resolvePromise({ code: exit, stdout: out, stderr: err }));
  });
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout);
  expect(report).toMatchObject({ database: 'sqlite', entries: 3000, tamperFound: { seq: 1500, problem: 'edited' } });
  expect(report.verify.entriesPerSecond).toBeGreaterThan(0);
  expect(report.loadEverything.heapMb).toBeGreaterThan(0);
}, 60_000);
