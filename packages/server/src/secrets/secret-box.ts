import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

/**
 * Seals secret values with AES-256-GCM. Each value gets a fresh IV; the secret's identity is
 * authenticated data, so a sealed value copied onto another secret's row fails to open.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a secret key is ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = key;
  }

  seal(plaintext: string, identity: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(identity));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string, identity: string): string {
    const [format, payload] = sealed.split(':', 2);
    if (format !== FORMAT || !payload) throw new Error('not a sealed secret of a known format');
    const raw = Buffer.from(payload, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(identity));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the secret cannot be decrypted: it was sealed with another key, or altered');
    }
  }
}

/**
 * The key: SLIPWAY_SECRET_KEY (32 bytes as 64 hex digits or base64) when set, else a key file that
 * is generated on first start with mode 0600. A key that cannot be read is an error, never a new key:
 * a new key would silently make every stored secret unreadable.
 */
export function loadSecretKey(options: { secretKey?: string; keyFile: string }): { key: Buffer; source: string } {
  if (options.secretKey !== undefined && options.secretKey !== '') {
    return { key: parseKey(options.secretKey, 'SLIPWAY_SECRET_KEY'), source: 'SLIPWAY_SECRET_KEY' };
  }
  if (existsSync(options.keyFile)) {
    const mode = statSync(options.keyFile).mode & 0o777;
    if (mode & 0o077) chmodSync(options.keyFile, 0o600);
    return { key: parseKey(readFileSync(options.keyFile, 'utf8').trim(), options.keyFile), source: options.keyFile };
  }
  const key = randomBytes(KEY_BYTES);
  writeFileSync(options.keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, source: options.keyFile };
}

function parseKey(text: string, where: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`${where}: expected a 32-byte key written as 64 hex digits or base64 (generate one with: openssl rand -hex 32)`);
  }
  return key;
}
