import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * Writes url and token into the CLI's config file, keeping any other settings in it, with mode 0600
 * (its folder 0700): the token is a secret. The server writes the same file on its first start.
 */
export function writeCliConfig(path: string, values: { url: string; token: string }): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const current = existsSync(path) ? ((parse(readFileSync(path, 'utf8')) as Record<string, unknown> | null) ?? {}) : {};
  writeFileSync(path, stringify({ ...current, ...values }), { mode: 0o600 });
  chmodSync(path, 0o600);
}
