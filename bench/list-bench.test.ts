// Smoke test of the list benchmark: a few hundred environments, one round, as `npm run bench:list`
// runs it, must seed, list every page and give numbers. (The figures are the benchmark's business.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

it('seeds a small list, times its default page beside the full list, and measures memory', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const args = ['--expose-gc', '--import', 'tsx', 'bench/list-bench.ts', '--environments', '250', '--rounds', '1', '--requests', '20', '--full-requests', '3', '--json'];
    // SQLite only: PostgreSQL is the benchmark's to run when asked, not this smoke test's.
    const env = { ...process.env };
    delete env.SLIPWAY_TEST_DATABASE_URL;
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.once('error', reject);
    child.once('exit', (exit) => resolvePromise({ code: exit, stdout: out, stderr: err }));
  });
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout);
  expect(report.environments).toBe(250);
  expect(report.reports).toHaveLength(1);
  const [sqlite] = report.reports;
  expect(sqlite.database).toBe('sqlite');
  expect(sqlite.rounds).toHaveLength(1);
  const [round] = sqlite.rounds;
  expect(round.page.p99).toBeGreaterThan(0);
  // A default page is 100 environments; the full list is all 250 of them.
  expect(round.full.bytes).toBeGreaterThan(2 * round.page.bytes);
  expect(round.pages).toBe(1);
  expect(sqlite.memory.bytesPerEnvironment).toEqual(expect.any(Number));
  expect(typeof sqlite.targets.pageP99).toBe('boolean');
}, 120_000);
