import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSecretKey, SecretBox } from './secret-box.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secret box', () => {
  it('seals with a fresh IV each time and opens only for the same identity', () => {
    const box = new SecretBox(randomBytes(32));
    const a = box.seal('hunter2', 'secret:default/db');
    expect(a).not.toBe(box.seal('hunter2', 'secret:default/db'));
    expect(a).not.toContain('hunter2');
    expect(box.open(a, 'secret:default/db')).toBe('hunter2');
    expect(() => box.open(a, 'secret:default/other')).toThrow(/cannot be decrypted/);
    const tampered = a.slice(0, -4) + (a.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => box.open(tampered, 'secret:default/db')).toThrow(/cannot be decrypted/);
  });

  it('generates a key file with mode 0600 on first use, then reads it back', () => {
    const keyFile = join(dir, 'secret.key');
    const first = loadSecretKey({ keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ keyFile }).key.equals(first.key)).toBe(true);
    chmodSync(keyFile, 0o644);
    loadSecretKey({ keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('takes SLIPWAY_SECRET_KEY as hex or base64, and refuses a wrong length with how to make one', () => {
    const key = randomBytes(32);
    expect(loadSecretKey({ secretKey: key.toString('hex'), keyFile: join(dir, 'unused') }).key.equals(key)).toBe(true);
    expect(loadSecretKey({ secretKey: key.toString('base64'), keyFile: join(dir, 'unused') }).key.equals(key)).toBe(true);
    expect(() => loadSecretKey({ secretKey: 'short', keyFile: join(dir, 'unused') })).toThrow(/SLIPWAY_SECRET_KEY: expected a 32-byte key .*openssl rand -hex 32/);
    writeFileSync(join(dir, 'bad.key'), 'nope\n');
    expect(() => loadSecretKey({ keyFile: join(dir, 'bad.key') })).toThrow(/bad\.key: expected a 32-byte key/);
  });
});
