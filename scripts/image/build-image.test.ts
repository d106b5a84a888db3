// Slipway's container image (deploy/Containerfile, `npm run image`): built from this checkout on a
// local stand-in for the Node.js base (nothing is pulled), then run as a user would run it — the
// server answers its probes and serves the portal, keeps its token out of its output, and the same
// image runs the CLI. Skipped, with the reason, when no Docker or Podman engine answers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDockerEngine } from '@slipway/drivers';
import { ensureBaseImages, NODE_IMAGE } from '@slipway/drivers/docker-test-images';
import { buildImage, imageEngine } from './build-image.ts';
import { runtimeLibraries } from './stage-image.ts';

const run = promisify(execFile);
const detected = await detectDockerEngine();
const skipReason = detected.found ? undefined : `${detected.message} (scripts/setup-podman.sh sets one up)`;

describe('the image context', () => {
  it('holds the production libraries the compiled CLI loads, not the source mode or the workspaces', () => {
    const libraries = runtimeLibraries();
    for (const needed of ['fastify', 'better-sqlite3', 'kysely', 'pg', 'dockerode', '@kubernetes/client-node']) {
      expect(libraries).toContain(`node_modules/${needed}`);
    }
    expect(libraries.some((l) => /node_modules\/(tsx|esbuild|vitest|vite|@slipway\/)/.test(l))).toBe(false);
  });
});

describe.skipIf(skipReason !== undefined)(`the container image${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const tag = `localhost/slipway-test:image-${process.pid}`;
  const engine = imageEngine();
  let container: string | undefined;

  beforeAll(async () => {
    if (!detected.found) return;
    await ensureBaseImages(detected.docker);
    await buildImage({ tag, base: NODE_IMAGE, packages: '', quiet: true });
  }, 600_000);

  afterAll(async () => {
    if (container) {
      await run(engine, ['kill', container]).catch(() => undefined);
      await run(engine, ['rm', '-f', container]).catch(() => undefined);
    }
    await run(engine, ['rmi', '-f', tag]).catch(() => undefined);
  }, 60_000);

  it('runs the server: health, readiness on its store, the portal, and no token in its output', async () => {
    container = (await run(engine, ['run', '-d', '-p', '127.0.0.1::4400', tag])).stdout.trim();
    const port = /:(\d+)\s*$/.exec((await run(engine, ['port', container, '4400/tcp'])).stdout.trim())?.[1];
    expect(port).toBeDefined();
    const base = `http://127.0.0.1:${port}`;
    let health: Response | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      health = await fetch(`${base}/api/health`).catch(() => undefined);
      if (health?.ok) break;
    }
    expect(health?.status).toBe(200);
    expect(await (await fetch(`${base}/api/ready`)).json()).toEqual({ ready: true });
    expect(await (await fetch(`${base}/`)).text()).toMatch(/^<!doctype html>/i);
    // The API refuses without the token the server made on its first start…
    expect((await fetch(`${base}/api/v1/environments`)).status).toBe(401);
    const config = (await run(engine, ['exec', container, 'cat', '/home/node/.config/slipway/config.yaml'])).stdout;
    const token = /token:\s*(\S+)/.exec(config)?.[1];
    expect(token).toMatch(/^slw_/);
    // …which works, and never appears in what the server printed.
    expect((await fetch(`${base}/api/v1/environments`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const logs = await run(engine, ['logs', container]);
    expect(`${logs.stdout}${logs.stderr}`).toContain('Slipway API at');
    expect(`${logs.stdout}${logs.stderr}`).not.toContain(token!);
  }, 120_000);

  it('runs the CLI from the same image', async () => {
    const { stdout } = await run(engine, ['run', '--rm', tag, '--help']);
    expect(stdout).toContain('router');
    expect(stdout).toContain('server');
  }, 60_000);
});
