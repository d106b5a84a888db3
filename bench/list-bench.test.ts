// Smoke test of the list benchmark: a few hundred environments, one round a phase, as `npm run bench:list`
// runs it, must seed, time every case beside its raw SELECT, list every page and give numbers. (The
// figures are the benchmark's business: a missed target is exit code 1 with the reason on stderr.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

it('seeds small lists, times each case beside its raw SELECT and the full list, and measures memory', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const args = ['--expose-gc', '--import', 'tsx', 'bench/list-bench.ts', '--environments', '250', '--deploys', '150', '--audit', '300', '--rounds', '1', '--requests', '10', '--full-requests', '2', '--json'];
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
  if (code !== 0) expect(stderr).toContain('a target was missed');
  expect(code, stderr).toBeLessThanOrEqual(1);
  const report = JSON.parse(stdout);
  expect(report.environments).toBe(250);
  expect(report.reports).toHaveLength(1);
  const [sqlite] = report.reports;
  expect(sqlite.database).toBe('sqlite');
  expect(sqlite.rounds.map((r: { phase: string }) => r.phase)).toEqual(['engine running', 'engine idle']);
  for (const round of sqlite.rounds) {
    expect(round.cases.map((c: { name: string }) => c.name)).toEqual(['environments: first page', 'environments: one app', 'environments: after 150', 'shop: after 125', 'deploys: newest', 'deploys: oldest', 'audit: newest', 'audit: oldest']);
    for (const c of round.cases) {
      expect(c.http.p99).toBeGreaterThan(0);
      expect(c.raw.p99).toBeGreaterThan(0);
      expect(c.ratio).toEqual(expect.any(Number));
    }
    // A default page is 100 environments; the full list is all 250 of them.
    expect(round.full.bytes).toBeGreaterThan(2 * round.cases[0].http.bytes);
    expect(round.pages).toBe(1);
    expect(round.loopDelay.max).toBeGreaterThan(0);
  }
  expect(sqlite.memory.bytesPerEnvironment).toEqual(expect.any(Number));
  expect(sqlite.targets.p99).toEqual({ 'engine running': expect.any(Boolean), 'engine idle': expect.any(Boolean) });
  expect(code === 0).toBe(sqlite.targets.p99['engine running'] && sqlite.targets.p99['engine idle'] && sqlite.targets.memory);
}, 120_000);
