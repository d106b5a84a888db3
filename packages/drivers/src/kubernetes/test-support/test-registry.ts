// A real image registry for the kubernetes runtime's tests: the CNCF distribution registry built
// from its Go module (scripts/kubernetes/build-registry.sh, cached by version), on a loopback port,
// storing into a folder of its own, with htpasswd users when asked. Plain HTTP on 127.0.0.1: Docker
// takes loopback registries as insecure by itself; Podman is told per push (tlsVerify=false), so
// no machine-wide registries.conf is changed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allocatePort } from '../../shared/ports.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../../../..');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts/kubernetes/build-registry.sh');

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:41234: the prefix images are tagged under. */
  address: string;
  /** The registry's HTTP API, for checks: GET /v2/<name>/manifests/<reference>. */
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: string }>;
  stop(): Promise<void>;
}

/** Builds the registry when it is not cached yet; returns the folder of `registry` and `bcrypt-hash`. */
export function testRegistryBinaries(): string {
  const built = spawnSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (built.status !== 0) throw new Error(`building the test registry failed (bash ${BUILD_SCRIPT} exited ${built.status})`);
  return built.stdout.trim().split('\n').pop()!;
}

/** Starts a registry storing under `dir`; with `users`, every request needs one of them (basic auth). */
export async function startTestRegistry(dir: string, options: { users?: Record<string, string>; binDir?: string } = {}): Promise<TestRegistry> {
  const binDir = options.binDir ?? testRegistryBinaries();
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const port = await allocatePort(new Set());
  const address = `127.0.0.1:${port}`;
  const auth: string[] = [];
  if (options.users) {
    const lines = Object.entries(options.users).map(([user, password]) => {
      const hashed = spawnSync(join(binDir, 'bcrypt-hash'), [user], { input: `${password}\n`, encoding: 'utf8' });
      if (hashed.status !== 0) throw new Error(`bcrypt-hash failed: ${hashed.stderr}`);
      return hashed.stdout.trim();
    });
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`, { mode: 0o600 });
    auth.push('auth:', '  htpasswd:', '    realm: slipway-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
    ...auth,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), config);
  const log = join(dir, 'registry.log');
  const fd = openSync(log, 'a');
  // OTEL_TRACES_EXPORTER=none: the registry exports traces by default and would log every failed export.
  const child: ChildProcess = spawn(join(binDir, 'registry'), ['serve', join(dir, 'config.yml')], { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
  closeSync(fd);
  const authHeader: Record<string, string> = options.users ? { authorization: `Basic ${Buffer.from(Object.entries(options.users)[0]!.join(":")).toString("base64")}` } : {};
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const answer = await fetch(`http://${address}${path}`, { headers: { ...authHeader, ...headers } });
    return { status: answer.status, headers: answer.headers, body: await answer.text() };
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the test registry exited (${child.exitCode}); its log:\n${readFileSync(log, 'utf8')}`);
    try {
      const answer = await get('/v2/');
      if (answer.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the test registry did not answer at ${address} within 30 s; its log:\n${readFileSync(log, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address, get, stop };
}
