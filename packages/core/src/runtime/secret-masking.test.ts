import { describe, expect, it } from 'vitest';
import { createSecretMasker, maskDeep, MIN_FRAGMENT_LENGTH, secretForms, secretValueParts } from './secret-masking.ts';

const secret = 'pa$$ wörd/+"x"&y=1';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('secret masking', () => {
  const masker = createSecretMasker({ db: secret });

  it('masks the literal value wherever it is in a line', () => {
    expect(masker.mask(`password=${secret};`)).toBe('password=***;');
    expect(masker.mask(`${secret}${secret}`)).toBe('******');
    expect(masker.mask(`${secret} and ${secret}`)).toBe('*** and ***');
    expect(masker.mask('nothing to see')).toBe('nothing to see');
  });

  it('masks base64, standard and url-safe, padded or not', () => {
    for (const encoded of [b64(secret), b64(secret).replace(/=+$/, ''), b64url(secret), `${b64url(secret)}==`]) {
      expect(masker.mask(`token: ${encoded} end`)).toBe('token: *** end');
    }
  });

  it('masks the base64 of a text the value is embedded in, at each of the three alignments', () => {
    for (const before of ['', 'a', 'ab', 'abc', 'user:', 'Authorization: Basic ']) {
      for (const after of ['', 'z', '@host', '\n']) {
        const encoded = b64(`${before}${secret}${after}`);
        const shown = masker.mask(encoded);
        expect(shown).toContain('***');
        // What is left is only the neighbours' part: too little to decode the value from.
        const left = shown.split('***').join('');
        expect(left.length).toBeLessThanOrEqual(b64(`${before}${after}`).length + 4);
        expect(Buffer.from(left, 'base64').toString('latin1')).not.toContain(secret.slice(0, 4));
      }
    }
  });

  it('masks URL-encoded forms', () => {
    const forms = [encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), new URLSearchParams({ q: secret }).toString().slice(2), encodeURIComponent(secret).toLowerCase()];
    for (const form of forms) expect(masker.mask(`https://x.test/?q=${form}&b=2`)).toBe('https://x.test/?q=***&b=2');
  });

  it('masks JSON-escaped forms', () => {
    expect(masker.mask(JSON.stringify({ password: secret }))).toBe('{"password":"***"}');
    const ascii = JSON.stringify(secret).slice(1, -1).replace('ö', '\\u00f6');
    expect(masker.mask(`"${ascii}"`)).toBe('"***"');
    expect(masker.mask(JSON.stringify(secret).slice(1, -1).replace('/', '\\/'))).toBe('***');
  });

  it('masks each line of a multi-line secret, and the whole of it', () => {
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n  bktxqV1vJ8ZSm+7AlOW8wuJ2  \n}\n-----END KEY-----\n';
    const lines = createSecretMasker([key]);
    expect(lines.mask('line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC here')).toBe('line *** here');
    expect(lines.mask('bktxqV1vJ8ZSm+7AlOW8wuJ2')).toBe('***');
    expect(lines.mask(`before\n${key}after`)).toBe('before\n***after');
    expect(lines.mask(JSON.stringify(key))).toBe('"***"');
    expect(lines.mask(b64(key))).toBe('***');
    // A trivial line (a lone brace) is not a form.
    expect(lines.mask('{ }')).toBe('{ }');
    expect(lines.forms).not.toContain('}');
  });

  it('masks a value set with a trailing newline also without it', () => {
    const trailing = createSecretMasker(['s3cr3t-token\n']);
    expect(trailing.mask(`x ${b64('s3cr3t-token')} y`)).toBe('x *** y');
    expect(trailing.mask('s3cr3t-token')).toBe('***');
  });

  it('masks base64 cut into lines of 76 and 64 characters', () => {
    const long = 'k'.repeat(40) + 'Q7-long-secret-value-' + 'z'.repeat(60);
    const wrapped = createSecretMasker([long]);
    for (const width of [64, 76]) {
      const lines = b64(long).match(new RegExp(`.{1,${width}}`, 'g'))!;
      for (const line of lines) expect(wrapped.mask(line)).toBe('***');
    }
  });

  it('leaves values shorter than 4 characters, or without a letter or digit, alone', () => {
    const short = createSecretMasker({ a: 'on', b: '1', c: 'abc', d: '----' });
    expect(short.forms).toEqual([]);
    expect(short.mask('on 1 abc ----')).toBe('on 1 abc ----');
    expect(createSecretMasker({ e: 'abcd' }).mask('xabcdx')).toBe('x***x');
  });

  it('does not mask base64 fragments shorter than the fragment minimum', () => {
    for (const form of secretForms(['abcd'])) {
      if (!['abcd', 'YWJjZA==', 'YWJjZA'].includes(form)) expect(form.length).toBeGreaterThanOrEqual(MIN_FRAGMENT_LENGTH);
    }
  });

  it('masks the union of overlapping secrets, leaving no part of either', () => {
    const both = createSecretMasker({ one: 'abcdefgh', two: 'efghijkl' });
    expect(both.mask('xx abcdefghijkl yy')).toBe('xx *** yy');
    expect(both.mask('xxefghijklyy abcdefgh')).toBe('xx***yy ***');
    const nested = createSecretMasker({ outer: 'my-long-password', inner: 'long' });
    expect(nested.mask('a my-long-password b long c')).toBe('a *** b *** c');
  });

  it('treats regular expression characters in values literally', () => {
    const odd = createSecretMasker(['a.b*c(d)[e]$']);
    expect(odd.mask('aXb*c(d)[e]$ a.b*c(d)[e]$')).toBe('aXb*c(d)[e]$ ***');
  });

  it('is a no-op without secrets', () => {
    expect(createSecretMasker(undefined).mask('x')).toBe('x');
    expect(createSecretMasker({}).forms).toEqual([]);
  });

  it('gives the values of a JSON object secret', () => {
    expect(secretValueParts('{"user":"admin","password":"hunter22","port":5432}')).toEqual(['{"user":"admin","password":"hunter22","port":5432}', 'admin', 'hunter22']);
    expect(secretValueParts('plain')).toEqual(['plain']);
    expect(secretValueParts('{not json')).toEqual(['{not json']);
  });

  it('masks every string of a JSON-like value', () => {
    const value = { reason: `failed: ${secret}`, tasks: [{ logTail: b64(secret), n: 3 }], ok: true };
    expect(maskDeep(value, masker)).toEqual({ reason: 'failed: ***', tasks: [{ logTail: '***', n: 3 }], ok: true });
  });

  it('masks many lines quickly with many secrets', () => {
    const many = createSecretMasker(Array.from({ length: 50 }, (_, i) => `secret-value-number-${i}-${'x'.repeat(i)}`));
    const lines = Array.from({ length: 100_000 }, (_, i) => (i % 1000 === 0 ? `line ${i} secret-value-number-7-xxxxxxx` : `line ${i} of some ordinary build output, nothing secret in it`));
    const started = performance.now();
    const masked = lines.map(many.mask);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(masked.filter((l) => l.includes('***'))).toHaveLength(100);
  });
});
