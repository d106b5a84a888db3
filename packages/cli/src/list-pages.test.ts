// List commands read every page of the API's list unless --limit says how many; -o json keeps the
// API's { items, nextCursor } shape. A real server, with more secrets than one page of 1000 holds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SecretStore, type RunningServer } from '@slipway/server';
import { closeCliSession, isolateCliSettings, slipway, startServerForCli } from './test-support/cli-session.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-list-pages-cli-'));
let restore: () => void = () => undefined;
let server: RunningServer;
const names = Array.from({ length: 1_203 }, (_, i) => `secret-${String(i).padStart(4, '0')}`);

beforeAll(async () => {
  restore = isolateCliSettings(dir);
  server = await startServerForCli(dir, {}, { docker: false });
  const secrets = new SecretStore(server.store.db, server.secretBox);
  await server.store.db.transaction().execute(async (tx) => {
    for (const name of names) await secrets.in(tx).set('default', name, 'x');
  });
}, 60_000);

afterAll(() => closeCliSession(server, dir, restore), 60_000);

it('lists every row across pages by default', async () => {
  const listed = await slipway('secrets', 'list', '-o', 'json');
  expect(listed.code, listed.stderr).toBe(0);
  const answer = JSON.parse(listed.stdout) as { items: { name: string }[]; nextCursor: string | null };
  expect(answer.items.map((s) => s.name)).toEqual(names);
  expect(answer.nextCursor).toBeNull();
  const text = await slipway('secrets', 'list');
  expect(text.stdout.split('\n').filter((line) => line.startsWith('secret-'))).toHaveLength(names.length);
  expect(text.stderr).toBe('');
});

it('shows at most --limit rows, and says on stderr that there are more', async () => {
  const text = await slipway('secrets', 'list', '--limit', '3');
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout.split('\n').filter((line) => line.startsWith('secret-'))).toEqual(['secret-0000', 'secret-0001', 'secret-0002']);
  expect(text.stderr).toMatch(/showing the first 3; there are more: raise --limit, or leave it out/);
  const json = JSON.parse((await slipway('secrets', 'list', '--limit', '1100', '-o', 'json')).stdout) as { items: unknown[]; nextCursor: string | null };
  expect(json.items).toHaveLength(1100);
  expect(json.nextCursor).toEqual(expect.any(String));
  const all = await slipway('secrets', 'list', '--limit', String(names.length));
  expect(all.stderr).toBe('');
});

it('refuses a --limit that is not a positive number before calling the API', async () => {
  const bad = await slipway('envs', 'list', '--limit', '0');
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/--limit.*expected a number of rows, 1 or more/);
});
