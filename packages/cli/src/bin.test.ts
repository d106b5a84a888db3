import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/slipway.js', import.meta.url));

describe('the slipway executable', () => {
  it('stops quietly with exit 0 when its reader closes early, as `slipway schema | head -1` does', async () => {
    const child = spawn(process.execPath, [bin, 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Close the pipe before the command writes, the way `head` does once it has read enough.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  }, 30_000);
});

describe('the compiled CLI', () => {
  it('builds from the sources, lists what it was built from, and answers as the sources do', () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const out = mkdtempSync(join(root, 'packages/cli/.dist-test-'));
    try {
      const built = spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs'), '--outdir', out], { encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
      const { inputs } = JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as { inputs: string[] };
      expect(inputs).toContain('packages/cli/src/main.ts');
      expect(inputs).toContain('packages/server/src/start-server.ts');
      // No test support, and no library copied in: node_modules stays outside the bundle.
      expect(inputs.filter((f) => f.includes('node_modules') || f.includes('test-support'))).toEqual([]);
      const runner = join(out, 'run.mjs');
      writeFileSync(runner, `const { main } = await import('./main.js');\nprocess.exitCode = await main(process.argv);\n`);
      const compiled = spawnSync(process.execPath, [runner, 'envs', '--help'], { encoding: 'utf8', cwd: tmpdir() });
      const source = spawnSync(process.execPath, [bin, 'envs', '--help'], { encoding: 'utf8', cwd: tmpdir(), env: { ...process.env, SLIPWAY_FROM_SOURCE: '1' } });
      expect(compiled.status).toBe(0);
      expect(compiled.stdout).toContain('protect');
      expect(compiled.stdout).toBe(source.stdout);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
