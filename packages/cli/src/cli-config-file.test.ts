import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writeCliConfig } from './cli-config-file.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('writeCliConfig', () => {
  it('writes url and token with mode 0600, keeping the other settings of the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-config-'));
    dirs.push(dir);
    const file = join(dir, 'slipway', 'config.yaml');
    writeCliConfig(file, { url: 'http://127.0.0.1:4400', token: 'first' });
    writeFileSync(file, `${readFileSync(file, 'utf8')}editor: vim\n`);
    writeCliConfig(file, { url: 'http://10.0.0.5:4400', token: 'second' });
    expect(parse(readFileSync(file, 'utf8'))).toEqual({ url: 'http://10.0.0.5:4400', token: 'second', editor: 'vim' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
