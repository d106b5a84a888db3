import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIO } from './test-support/capture-io.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repoRoot, 'node_modules', '.bin', 'slipway');
const fixture = (name: string) => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the installed `slipway` bin as a user would, from the repository root. */
async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the slipway command', () => {
  it('validates the example application from the repository root', async () => {
    const result = await slipway('validate', 'examples/guestbook');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/✓ Application guestbook examples\/guestbook\/\.slipway\/guestbook\.yaml/);
    expect(result.code).toBe(0);
  });

  it('reports all five mistakes of a manifest, each with line and column, and exits 1', async () => {
    const result = await slipway('validate', fixture('five-mistakes.yaml'));
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error'));
    expect(errors).toHaveLength(5);
    for (const line of errors) expect(line).toMatch(/five-mistakes\.yaml:\d+:\d+ spec\./);
    expect(result.stderr).toMatch(/expected a number from 1 to 65535, got "http"/);
    expect(result.stderr).toMatch(/unknown key "imgae" \(did you mean "image"\?\)/);
    expect(result.stderr).toMatch(/depends on "cache", which is not a service or job/);
    expect(result.stderr).toMatch(/dependency cycle: api → worker → api/);
    expect(result.stderr).toMatch(/unknown variable \$\{branch\} in hostname/);
  });

  it('explains itself with --help and exits 2 on bad arguments', async () => {
    const help = await slipway('render', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--env-id <id>/);
    expect(help.stdout).toMatch(/Example:/);
    const bad = await slipway('render', 'examples/guestbook', '--env-id', 'Not_Valid', '--branch', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected a lowercase name of letters, digits and "-"/);
    expect((await slipway('deploy')).code).toBe(2);
  });
});

describe('slipway render', () => {
  it('prints the resolved environment spec', async () => {
    const io = captureIO();
    const code = await main(['node', 'slipway', 'render', join(repoRoot, 'examples/guestbook'), '--env-id', 'pr-42', '--branch', 'feature/x', '--commit', 'abcdef0123456789', '--output', 'json'], io);
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    const env = JSON.parse(io.stdout());
    expect(env).toMatchObject({ app: 'guestbook', envId: 'pr-42', kind: 'ephemeral', branch: 'feature/x', commit: 'abcdef0123456789' });
    const api = env.services.find((s: { name: string }) => s.name === 'api');
    expect(api.env).toMatchObject({ SLIPWAY_ENV_ID: 'pr-42', SLIPWAY_COMMIT_SHORT: 'abcdef0', API_URL: 'http://api-pr-42.slipway.localhost:8080' });
  });

  it('refuses an invalid manifest with its errors, and a missing path', async () => {
    const io = captureIO();
    expect(await main(['node', 'slipway', 'render', fixture('five-mistakes.yaml'), '--env-id', 'x', '--branch', 'x'], io)).toBe(1);
    expect(io.stderr()).toMatch(/unknown key "imgae"/);
    const io2 = captureIO();
    expect(await main(['node', 'slipway', 'render', join(dir, 'missing'), '--env-id', 'x', '--branch', 'x'], io2)).toBe(2);
    expect(io2.stderr()).toMatch(/no such file or folder/);
  });
});

describe('slipway import', () => {
  it('converts a Compose file with its env_file into a manifest that validates', async () => {
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'app.env'), 'LOG_LEVEL=debug\n');
    writeFileSync(
      join(dir, 'app', 'docker-compose.yml'),
      'services:\n  web:\n    build: .\n    ports: ["8080:80"]\n    env_file: app.env\n    depends_on:\n      db: { condition: service_healthy }\n    restart: always\n  db:\n    image: postgres:16\n    healthcheck:\n      test: ["CMD", "pg_isready"]\n',
    );
    const out = join(dir, 'app', 'slipway.yaml');
    const io = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', join(dir, 'app', 'docker-compose.yml'), '-o', out], io)).toBe(0);
    expect(io.stderr()).toMatch(/services\.web\.restart: restart has no equivalent/);
    const written = readFileSync(out, 'utf8');
    expect(written).toMatch(/LOG_LEVEL: debug/);
    const check = captureIO();
    expect(await main(['node', 'slipway', 'validate', out], check)).toBe(0);
  });

  it('reads --env-file files (later ones winning) before filling ${VAR}, and names an unset one with how to give it', async () => {
    mkdirSync(join(dir, 'vars'));
    writeFileSync(join(dir, 'vars', 'compose.yaml'), 'services:\n  web:\n    image: "nginx:${SLIPWAY_TEST_TAG}"\n    ports: ["${SLIPWAY_TEST_PORT}"]\n');
    writeFileSync(join(dir, 'vars', 'a.env'), 'SLIPWAY_TEST_TAG=1.25\nSLIPWAY_TEST_PORT=8080\n');
    writeFileSync(join(dir, 'vars', 'b.env'), 'SLIPWAY_TEST_TAG=1.27\n');
    const io = captureIO();
    const args = ['node', 'slipway', 'import', 'compose', join(dir, 'vars', 'compose.yaml')];
    expect(await main([...args, '--env-file', join(dir, 'vars', 'a.env'), '--env-file', join(dir, 'vars', 'b.env')], io)).toBe(0);
    expect(io.stdout()).toMatch(/image: nginx:1\.27/);
    expect(io.stdout()).toMatch(/port: 8080/);
    const unset = captureIO();
    expect(await main(args, unset)).toBe(1);
    expect(unset.stderr()).toMatch(/compose\.yaml:4:13 .*\$\{SLIPWAY_TEST_PORT\} is not set.*--env-file/);
    const missing = captureIO();
    expect(await main([...args, '--env-file', join(dir, 'vars', 'nope.env')], missing)).toBe(2);
    expect(missing.stderr()).toMatch(/nope\.env: no such file/);
  });

  it('merges -f files in order, and reads the override beside a default-named file unless --no-override', async () => {
    mkdirSync(join(dir, 'multi'));
    writeFileSync(join(dir, 'multi', 'docker-compose.yml'), 'services:\n  web:\n    image: nginx:1.25\n    ports: ["8080:80"]\n');
    writeFileSync(join(dir, 'multi', 'docker-compose.override.yml'), 'services:\n  web:\n    image: nginx:1.27\n');
    writeFileSync(join(dir, 'multi', 'prod.yml'), 'services:\n  web:\n    image: nginx:prod\n');
    const base = join(dir, 'multi', 'docker-compose.yml');
    const picked = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', base], picked)).toBe(0);
    expect(picked.stdout()).toMatch(/image: nginx:1\.27/);
    expect(picked.stderr()).toMatch(/also read .*docker-compose\.override\.yml.*--no-override/);
    const alone = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', base, '--no-override'], alone)).toBe(0);
    expect(alone.stdout()).toMatch(/image: nginx:1\.25/);
    const several = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', '-f', base, '-f', join(dir, 'multi', 'prod.yml')], several)).toBe(0);
    expect(several.stdout()).toMatch(/image: nginx:prod/);
    expect(several.stderr()).not.toMatch(/also read/);
  });

  it('summarizes many warnings by key with counts, lists them with --verbose, and refuses them with --strict', async () => {
    mkdirSync(join(dir, 'noisy'));
    const services = ['a', 'b', 'c'].map((n) => `  ${n}:\n    image: nginx\n    restart: always\n    labels: [x=1]\n`).join('');
    writeFileSync(join(dir, 'noisy', 'compose.yaml'), `services:\n${services}`);
    const file = join(dir, 'noisy', 'compose.yaml');
    const io = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', file], io)).toBe(0);
    expect(io.stderr()).toMatch(/6 warnings: not carried over as written, by key/);
    expect(io.stderr()).toMatch(/ {2}labels {2}\s+3 {2}first at .*compose\.yaml:5:5/);
    expect(io.stderr()).toMatch(/ {2}restart\s+3 {2}first at .*compose\.yaml:4:5/);
    expect(io.stderr()).not.toMatch(/restart has no equivalent/);
    const verbose = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', file, '--verbose'], verbose)).toBe(0);
    expect(verbose.stderr().match(/restart has no equivalent/g)).toHaveLength(3);
    const strict = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', file, '--strict', '-o', join(dir, 'noisy', 'out.yaml')], strict)).toBe(1);
    expect(strict.stderr()).toMatch(/error {3}.*services\.a\.restart: restart has no equivalent/);
    expect(strict.stderr()).toMatch(/--strict, and 6 warnings/);
    expect(existsSync(join(dir, 'noisy', 'out.yaml'))).toBe(false);
  });

  it('converts a Release template folder', async () => {
    mkdirSync(join(dir, 'repo', '.release'), { recursive: true });
    writeFileSync(
      join(dir, 'repo', '.release', 'application_template.yaml'),
      'app: shop\nhostnames:\n  - web: web-${env_id}.${domain}\nservices:\n  - name: web\n    image: nginx\n    ports:\n      - type: node_port\n        target_port: "80"\n        port: "80"\n',
    );
    writeFileSync(join(dir, 'repo', '.release', 'environment_variables.yaml'), 'defaults:\n  - key: TOKEN\n    value: hunter2\n    secret: true\n');
    const io = captureIO();
    expect(await main(['node', 'slipway', 'import', 'release', join(dir, 'repo')], io)).toBe(0);
    expect(io.stdout()).toMatch(/name: shop/);
    expect(io.stdout()).toMatch(/TOKEN:\n\s+secret: TOKEN/);
    expect(io.stdout()).not.toMatch(/hunter2/);
  });

  it('imports what a .release.yaml points at: a Compose file, or a template elsewhere', async () => {
    mkdirSync(join(dir, 'pointer'));
    writeFileSync(join(dir, 'pointer', '.release.yaml'), 'compose: docker-compose.dev.yml\n');
    writeFileSync(join(dir, 'pointer', 'docker-compose.dev.yml'), 'services:\n  api:\n    image: shop/api:dev\n');
    const io = captureIO();
    expect(await main(['node', 'slipway', 'import', 'release', join(dir, 'pointer')], io)).toBe(0);
    expect(io.stdout()).toMatch(/image: shop\/api:dev/);
    expect(io.stderr()).toMatch(/points at .*docker-compose\.dev\.yml/);

    mkdirSync(join(dir, 'pointer2', 'deploy'), { recursive: true });
    writeFileSync(join(dir, 'pointer2', '.release.yaml'), 'application_template: deploy/template.yaml\n');
    writeFileSync(join(dir, 'pointer2', 'deploy', 'template.yaml'), 'app: shop\nservices:\n  - name: web\n    image: nginx\n');
    const io2 = captureIO();
    expect(await main(['node', 'slipway', 'import', 'release', join(dir, 'pointer2')], io2)).toBe(0);
    expect(io2.stdout()).toMatch(/name: shop/);

    mkdirSync(join(dir, 'pointer3'));
    writeFileSync(join(dir, 'pointer3', '.release.yaml'), 'compose: [a.yml]\n');
    const io3 = captureIO();
    expect(await main(['node', 'slipway', 'import', 'release', join(dir, 'pointer3')], io3)).toBe(1);
    expect(io3.stderr()).toMatch(/\.release\.yaml:1:1 compose: expected compose to be a path relative to the repository/);
  });

  it('says what it needs when the input is missing', async () => {
    const io = captureIO();
    expect(await main(['node', 'slipway', 'import', 'release', dir], io)).toBe(2);
    expect(io.stderr()).toMatch(/no \.release\/application_template\.yaml and no \.release\.yaml here/);
    const io2 = captureIO();
    expect(await main(['node', 'slipway', 'import', 'compose', join(dir, 'nope.yml')], io2)).toBe(2);
    expect(io2.stderr()).toMatch(/no such file; give the path of a Compose file/);
  });
});

describe('slipway schema', () => {
  it('prints one kind, and refuses an unknown one with a suggestion', async () => {
    const io = captureIO();
    expect(await main(['node', 'slipway', 'schema', 'ReleaseTrack'], io)).toBe(0);
    expect(JSON.parse(io.stdout()).title).toBe('Slipway ReleaseTrack');
    const io2 = captureIO();
    expect(await main(['node', 'slipway', 'schema', 'Releasetrack'], io2)).toBe(2);
    expect(io2.stderr()).toMatch(/did you mean "ReleaseTrack"/);
  });
});
