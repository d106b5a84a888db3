import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { anyApiTokenExists, createApiToken } from './store/api-tokens.ts';
import { recordAudit } from './store/audit-ledger.ts';
import type { Db } from './store/database-schema.ts';

/**
 * On the first start (no token exists yet) creates the `admin` user, admin of the default
 * workspace, and a token of theirs, and writes it, with the API URL, to the CLI's config file with
 * mode 0600 — so `slipway` works at once on this machine. Later starts change nothing. Returns whether a token was made (never the token: it must not reach a log).
 */
export async function bootstrapAdminToken(db: Db, options: { apiUrl: string; cliConfigPath: string }): Promise<{ created: boolean }> {
  if (await anyApiTokenExists(db)) return { created: false };
  const { token, secret } = await createApiToken(db, { name: 'admin (created on first start)', workspace: 'default', role: 'admin', user: 'admin' });
  await recordAudit(db, { workspace: 'default', actor: 'slipway', kind: 'token.create', subject: token.id, details: { name: token.name, user: token.user, role: token.role, firstStart: true } });
  writeCliConfig(options.cliConfigPath, { url: options.apiUrl, token: secret });
  return { created: true };
}

/** Writes url and token into the CLI config, keeping any other settings in it; mode 0600. (The CLI has its own writer, packages/cli/src/cli-config-file.ts: it does not import the server.) */
function writeCliConfig(path: string, values: { url: string; token: string }): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const current = existsSync(path) ? ((parse(readFileSync(path, 'utf8')) as Record<string, unknown> | null) ?? {}) : {};
  writeFileSync(path, stringify({ ...current, ...values }), { mode: 0o600 });
  chmodSync(path, 0o600);
}
