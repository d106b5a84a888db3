// `slipway server` (what npm start runs) serves the portal at / and says where, with the token's file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { captureIO } from '../test-support/capture-io.ts';
import { server } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-server-'));
const saved = { XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, SLIPWAY_HOME: process.env.SLIPWAY_HOME };

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A port nothing listens on right now (the server's settings do not take 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('slipway server', () => {
  it('prints the portal address and serves the portal there, the API still needing the token it printed the place of', async () => {
    process.env.XDG_CONFIG_HOME = join(dir, 'config');
    process.env.SLIPWAY_HOME = join(dir, 'home');
    const io = captureIO();
    const stop = new AbortController();
    const exited = server({ apiPort: await freePort(), routerPort: await freePort() }, io, stop.signal);
    try {
      let portal: RegExpExecArray | null = null;
      for (let i = 0; i < 600 && !portal; i++) {
        portal = /Portal at (http:\/\/127\.0\.0\.1:\d+\/): sign in with the token in (\S+config\.yaml)/.exec(io.stdout());
        if (!portal) await new Promise((r) => setTimeout(r, 100));
      }
      expect(portal, `${io.stdout()}\n${io.stderr()}`).not.toBeNull();
      const [, url, configFile] = portal!;
      expect(configFile).toBe(join(dir, 'config', 'slipway', 'config.yaml'));
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const { token } = parse(readFileSync(configFile!, 'utf8')) as { token: string };
      expect((await fetch(`${url}api/v1/whoami`)).status).toBe(401);
      const whoami = await fetch(`${url}api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
      expect(await whoami.json()).toMatchObject({ user: 'admin', role: 'admin' });
    } finally {
      stop.abort();
      expect(await exited, io.stderr()).toBe(0);
    }
  }, 90_000);
});
