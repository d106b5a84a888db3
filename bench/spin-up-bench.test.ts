// Smoke test of the spin-up benchmark: one round of each side, as `npm run bench:spin-up` runs it,
// must finish and give numbers. (The figures themselves are the benchmark's business, not a test's.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../..');

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/spin-up-bench.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

it('runs one round by hand and through Slipway and reports the times', async () => {
  const { code, stdout, stderr } = await runBench(['--rounds', '1', '--json']);
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout);
  expect(report.rounds).toBe(1);
  expect(report.machine.cpus).toBeGreaterThan(0);
  expect(report.samples.hand).toHaveLength(1);
  expect(report.samples.slipway).toHaveLength(1);
  expect(report.samples.fastProbe).toHaveLength(1);
  for (const row of ['handReady', 'slipwayReady', 'slipwayFinished', 'slipwayRouted', 'fastReady', 'fastRouted']) {
    expect(report.rows[row].first, row).toBeGreaterThan(0);
  }
  // Everything is ready only once the api answered, which the api's own health check comes before.
  const [slipway] = report.samples.slipway;
  expect(slipway.routedMs).toBeGreaterThanOrEqual(slipway.postMs);
  expect(slipway.timeline.map((e: { what: string }) => e.what)).toEqual(expect.arrayContaining(['source: checkout + build', 'job migrate', 'service api', 'service worker']));
  expect(Number.isFinite(report.ratios.slipwayReady.first)).toBe(true);
  // The phases are consecutive: each is measured, none negative, and together they are the whole spin-up.
  const phases = Object.values(slipway.phases) as number[];
  expect(Object.keys(slipway.phases)).toEqual(['request', 'queue', 'start', 'checkout', 'tasks', 'finish', 'answer']);
  for (const ms of phases) expect(ms).toBeGreaterThanOrEqual(0);
  expect(phases.reduce((sum, ms) => sum + ms, 0)).toBeCloseTo(slipway.readyMs, 0);
  expect(report.target).toBe(0.05);
}, 60_000);
