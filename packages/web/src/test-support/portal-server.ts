// A real Slipway server for the portal's end-to-end tests: the whole server (store, engine, router,
// API) in a temporary home, serving the portal it builds from this package's sources.
//
//   const slipway = await startPortalServer('portal-e2e');   // in beforeAll (give it ~60 s)
//   await signIn(page, slipway.url, slipway.token);           // the admin's token; or await slipway.token('approver', 'ann')
//   await slipway.close();                                    // in afterAll: removes every workload and the folder
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../../server/src/test-support/test-server.ts';
import { createApiToken } from '../../../server/src/store/api-tokens.ts';

export interface PortalServer {
  /** http://127.0.0.1:<port>: the portal at /, the API at /api. */
  url: string;
  /** Port of the server's router: environments answer at http://<service>-<env>.slipway.localhost:<routerPort>. */
  routerPort: number;
  /** An admin token of the default workspace (user "admin"). */
  adminToken: string;
  /** A new token of `user` with `role` (viewer, developer, approver, admin …) in the default workspace. */
  token(role: string, user: string, approverRoles?: string[]): Promise<string>;
  test: TestServer;
  close(): Promise<void>;
}

export async function startPortalServer(prefix: string): Promise<PortalServer> {
  const test = await startTestServer(prefix, { portal: true });
  const token = async (role: string, user: string, approverRoles: string[] = []) =>
    (await createApiToken(test.server.store.db, { name: `${prefix}-${user}`, workspace: 'default', role, user, approverRoles })).secret;
  return {
    url: test.server.apiUrl.replace('localhost', '127.0.0.1'),
    routerPort: test.server.routerPort,
    adminToken: await token('admin', 'admin'),
    token,
    test,
    close: () => test.close(),
  };
}

/** Opens the portal, signs in with the token and waits for the signed-in navigation. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}
