import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureIO } from '../test-support/capture-io.ts';
import { validate } from './validate.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services: [{ name: web, image: nginx, ports: [{ port: 80 }] }]
`;

describe('slipway validate', () => {
  it("reads a repository's .slipway/ folder and says what it found", async () => {
    mkdirSync(join(dir, 'repo', '.slipway'), { recursive: true });
    writeFileSync(join(dir, 'repo', '.slipway', 'shop.yaml'), good);
    writeFileSync(join(dir, 'repo', 'docker-compose.yml'), 'services: {}\n');
    const io = captureIO();
    expect(await validate({ paths: [join(dir, 'repo')], output: 'text' }, io)).toBe(0);
    expect(io.stdout()).toMatch(/✓ Application shop/);
    expect(io.stdout()).toMatch(/valid: 1 file, 1 manifest/);
  });

  it('exits 1 with every error on stderr', async () => {
    writeFileSync(join(dir, 'bad.yaml'), good.replace('port: 80', 'port: 0').replace('image: nginx', 'imag: nginx'));
    const io = captureIO();
    expect(await validate({ paths: [join(dir, 'bad.yaml')], output: 'text' }, io)).toBe(1);
    expect(io.stderr()).toMatch(/bad\.yaml:5:\d+ spec\.services\[0\]\.imag: unknown key "imag" \(did you mean "image"\?\)/);
    expect(io.stderr()).toMatch(/spec\.services\[0\]\.ports\[0\]\.port: expected a number from 1 to 65535, got 0/);
    expect(io.stderr()).toMatch(/✗ 3 errors, 0 warnings/);
  });

  it('writes JSON for scripts', async () => {
    const io = captureIO();
    expect(await validate({ paths: [join(dir, 'bad.yaml')], output: 'json' }, io)).toBe(1);
    const report = JSON.parse(io.stdout());
    expect(report.valid).toBe(false);
    expect(report.errors[1]).toMatchObject({ severity: 'error', line: 5, path: 'spec.services[0].imag' });
  });

  it('fails on warnings with --strict', async () => {
    writeFileSync(join(dir, 'set.yaml'), 'apiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: s }\nspec: { applications: [elsewhere] }\n');
    expect(await validate({ paths: [join(dir, 'set.yaml')], output: 'text' }, captureIO())).toBe(0);
    expect(await validate({ paths: [join(dir, 'set.yaml')], output: 'text', strict: true }, captureIO())).toBe(1);
  });

  it('says when a path does not exist or holds no manifest', async () => {
    const io = captureIO();
    expect(await validate({ paths: [join(dir, 'nope')], output: 'text' }, io)).toBe(1);
    expect(io.stderr()).toMatch(/nope: cannot read: no such file or folder/);
    mkdirSync(join(dir, 'empty'));
    const io2 = captureIO();
    expect(await validate({ paths: [join(dir, 'empty')], output: 'text' }, io2)).toBe(1);
    expect(io2.stderr()).toMatch(/no manifest \(\.yaml or \.yml\) here/);
  });

  it('refuses a managed step that reads a secret or variable its admission does not provide, at the reference', async () => {
    const admission = `apiVersion: slipway.dev/v1
kind: ReleasePlanAdmission
metadata: { name: accept-shop }
spec:
  origins: [{ workspace: default, applications: [shop] }]
  secrets: [deploy-token]
  workflow:
    steps:
      - name: publish
        command: ./publish.sh --token "$TOKEN" --channel "$CHANNEL"
        env: { TOKEN: { secret: deploy-key }, CHANEL: stable }
`;
    writeFileSync(join(dir, 'admission.yaml'), admission);
    const io = captureIO();
    expect(await validate({ paths: [join(dir, 'admission.yaml')], output: 'text' }, io)).toBe(1);
    expect(io.stderr()).toMatch(/admission\.yaml:10:59 spec\.workflow\.steps\[0\]\.command: step publish reads \$CHANNEL, which this admission does not provide \(did you mean "CHANEL"\?\)/);
    expect(io.stderr()).toMatch(/admission\.yaml:11:33 spec\.workflow\.steps\[0\]\.env\.TOKEN\.secret: step publish reads secret "deploy-key" into TOKEN, which this admission does not provide \(spec\.secrets: deploy-token\)/);
    expect(io.stderr()).toMatch(/✗ 2 errors, 0 warnings/);
  });
});
