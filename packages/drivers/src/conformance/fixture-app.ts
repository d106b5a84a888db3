// The tiny application the conformance cases run: plain node scripts (no dependencies) committed to
// a temporary git repository, whose behaviour each case picks through variables.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const server = `
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
const env = process.env;
if (env.MODE === 'crash') {
  console.error('boom: the fixture was told to crash');
  process.exit(3);
}
console.log('started pid ' + process.pid + ' on port ' + env.PORT);
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://fixture');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/ready') return send(Number(env.READY_STATUS || 200), { ready: true });
  if (url.pathname === '/live') return send(env.LIVE_FAIL ? 500 : 200, { live: !env.LIVE_FAIL });
  if (url.pathname === '/echo') {
    console.log('echo ' + url.searchParams.get('msg'));
    return send(200, { ok: true });
  }
  send(200, {
    pid: process.pid,
    port: Number(env.PORT),
    version: env.VERSION || null,
    initDone: env.INIT_MARKER ? existsSync(env.INIT_MARKER) : null,
    cwd: process.cwd(),
    host: hostname(),
  });
});
server.listen(Number(env.PORT));
process.on('SIGTERM', () => {
  console.log('stopping on SIGTERM');
  server.close();
  process.exit(0);
});
`;

const init = `
import { writeFileSync } from 'node:fs';
console.log('init step running');
if (process.env.INIT_EXIT && process.env.INIT_EXIT !== '0') {
  console.error('init step failing with ' + process.env.INIT_EXIT);
  process.exit(Number(process.env.INIT_EXIT));
}
if (process.env.INIT_MARKER) writeFileSync(process.env.INIT_MARKER, String(Date.now()));
`;

const job = `
import { appendFileSync, writeFileSync } from 'node:fs';
const env = process.env;
if (env.JOB_PID_FILE) writeFileSync(env.JOB_PID_FILE, String(process.pid));
if (env.JOB_COUNTER) appendFileSync(env.JOB_COUNTER, 'ran\\n');
console.log('job ran with mode ' + (env.JOB_MODE || 'ok'));
if (env.JOB_SECRET) {
  const s = env.JOB_SECRET;
  console.log('secret ' + s);
  console.error('secret base64 ' + Buffer.from(s).toString('base64') + ' embedded ' + Buffer.from('user:' + s).toString('base64'));
  console.log('secret url ' + encodeURIComponent(s) + ' json ' + JSON.stringify({ s }));
}
if (env.JOB_MODE === 'fail') {
  console.error('job failing on purpose');
  process.exit(4);
}
if (env.JOB_MODE === 'sleep') setTimeout(() => {}, 120000);
if (env.JOB_HEARTBEAT) setInterval(() => writeFileSync(env.JOB_HEARTBEAT, String(Date.now())), 100);
if (env.JOB_SLEEP_MS) setTimeout(() => console.log('job slept'), Number(env.JOB_SLEEP_MS));
`;

const sidecar = `
console.log('sidecar running beside ' + process.env.SLIPWAY_SERVICE);
setInterval(() => {}, 1000);
process.on('SIGTERM', () => process.exit(0));
`;

// For container runtimes: the app folder on a base image that has node at the host's path (so the
// fixture's commands, which name process.execPath, run unchanged), with the service's build command.
const dockerfile = `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
WORKDIR /app
COPY . .
ARG BUILD_COMMAND=true
ARG BUILD_FAIL=
RUN \${BUILD_COMMAND}
`;

/** Writes the fixture repository into `dir` and commits it; returns the commit sha. */
export function createFixtureRepository(dir: string): string {
  mkdirSync(join(dir, 'app'), { recursive: true });
  writeFileSync(join(dir, 'app', 'server.mjs'), server);
  writeFileSync(join(dir, 'app', 'init.mjs'), init);
  writeFileSync(join(dir, 'app', 'job.mjs'), job);
  writeFileSync(join(dir, 'app', 'sidecar.mjs'), sidecar);
  writeFileSync(join(dir, 'app', 'Dockerfile'), dockerfile);
  writeFileSync(join(dir, 'app', 'build.mjs'), "console.log('building'); if (process.env.BUILD_FAIL) { console.error('build broke: missing semicolon'); process.exit(1); }\n");
  return commitAll(dir, 'fixture');
}

/** git init (when needed), add everything and commit; returns the new commit's sha. */
export function commitAll(dir: string, message: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'Slipway Test', GIT_AUTHOR_EMAIL: 'test@slipway.invalid', GIT_COMMITTER_NAME: 'Slipway Test', GIT_COMMITTER_EMAIL: 'test@slipway.invalid' },
    }).trim();
  git('init', '--quiet', '--initial-branch=main');
  git('add', '--all');
  git('commit', '--quiet', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}
