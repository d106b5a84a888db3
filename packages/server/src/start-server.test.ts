import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadServerConfig, type ServerConfig } from './config.ts';
import { startServer } from './start-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (over: Partial<ServerConfig> = {}): ServerConfig => ({
  home: join(dir, 'home'),
  apiPort: 0,
  routerPort: 0,
  host: '127.0.0.1',
  domain: 'slipway.localhost',
  cliConfigPath: join(dir, 'config', 'slipway', 'config.yaml'),
  ...over,
});

describe('configuration', () => {
  it('has embedded defaults and lets flags win over variables', () => {
    const { config: c } = loadServerConfig({ SLIPWAY_API_PORT: '5000', XDG_CONFIG_HOME: '/x' }, { apiPort: '5001' });
    expect(c).toMatchObject({ apiPort: 5001, routerPort: 8080, domain: 'slipway.localhost', host: '127.0.0.1', cliConfigPath: '/x/slipway/config.yaml' });
    expect(c?.databaseUrl).toBeUndefined();
  });

  it('names every invalid setting and what would be right', () => {
    const { config: c, problems } = loadServerConfig({ SLIPWAY_API_PORT: 'http', SLIPWAY_DOMAIN: 'Not A Domain', DATABASE_URL: 'mysql://x' });
    expect(c).toBeUndefined();
    expect(problems).toEqual([
      'SLIPWAY_API_PORT: expected a port number from 1 to 65535',
      'SLIPWAY_DOMAIN: expected a domain name such as slipway.localhost',
      'DATABASE_URL: expected a PostgreSQL URL such as postgres://user@host/db',
    ]);
  });
});

describe('starting the server', () => {
  it('creates an admin token on first start and writes it to the CLI config with mode 0600', async () => {
    const server = await startServer(config());
    try {
      expect(server.createdAdminToken).toBe(true);
      const path = join(dir, 'config', 'slipway', 'config.yaml');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'home', 'secret.key')).mode & 0o777).toBe(0o600);
      const cli = parse(readFileSync(path, 'utf8'));
      expect(cli.url).toBe(server.apiUrl);
      const res = await fetch(`${server.apiUrl}/api/v1/applications`, { headers: { authorization: `Bearer ${cli.token}` } });
      expect(res.status).toBe(200);
      expect((await fetch(`${server.apiUrl}/api/v1/applications`)).status).toBe(401);
    } finally {
      await server.close();
    }
    const again = await startServer(config());
    expect(again.createdAdminToken).toBe(false);
    await again.close();
  });

  it('says which port is taken, and leaves nothing open', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    await expect(startServer(config({ apiPort: port }))).rejects.toThrow(`port ${port} is already in use; stop what uses it or set SLIPWAY_API_PORT (or --api-port)`);
    blocker.close();
  });
});
