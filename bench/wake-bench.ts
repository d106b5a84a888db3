// Wake-on-request benchmark (not part of `npm test`): `npm run bench:wake [-- --rounds 5] [--json]`.
//
// The guestbook on the local runtime, paused; then the time until a request to its API through the
// router has its answer, two ways, in alternating order each round:
//   by hand   `POST /api/v1/environments/main/resume` (which answers once every service is ready),
//             then `GET /api/entries` through the router — what a person or a script does;
//   wake      paused with wakeOnRequest, `GET /api/entries` through the router at once: the router
//             holds it, the server resumes the environment, the router serves it.
// Both start the same stopped processes and wait on the same readiness probes; the ratio shows what
// holding the request costs or saves. Target: the woken request answered within 2 s. Figures from a
// shared machine are noisy; the medians over several rounds are what to read.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiToken, startServer, type RunningServer } from '@slipway/server';
import { fmt, guestbookRepository, http, summarize, type Summary } from './spin-up-bench-support.ts';

const example = resolve(fileURLToPath(import.meta.url), '../../examples/guestbook');
const TARGET_MS = 2_000;
const HOST = 'guestbook-main.slipway.localhost';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${args.rounds}: expected a whole number of at least 1`);
const log = (line: string) => (args.json ? process.stderr.write(`${line}\n`) : console.log(line));

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'slipway-wake-bench-'));
  let server: RunningServer | undefined;
  try {
    server = await startServer({ home: join(work, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(work, 'cli.yaml') });
    const apiPort = Number(new URL(server.apiUrl).port);
    const routerPort = server.routerPort;
    const token = (await createApiToken(server.store.db, { name: 'wake-bench', workspace: 'default', role: 'admin' })).secret;
    const api = async (method: string, path: string, body?: unknown) => {
      const answer = await http(apiPort, method, path, { token, ...(body !== undefined ? { body } : {}) });
      if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
      return answer.text ? JSON.parse(answer.text) : undefined;
    };
    const request = async () => {
      const answer = await http(routerPort, 'GET', '/api/entries', { host: HOST });
      if (answer.status !== 200) throw new Error(`GET /api/entries through the router: ${answer.status} ${answer.text}`);
    };
    await api('POST', '/api/v1/applications', { repository: guestbookRepository(example, join(work, 'guestbook')) });
    const created = await api('POST', '/api/v1/environments', { app: 'guestbook', kind: 'permanent', id: 'main', branch: 'main' });
    const deploy = await api('GET', `/api/v1/deploys/${created.deploy.id}?wait=60`);
    if (deploy.state !== 'succeeded') throw new Error(`the guestbook's setup deploy ${deploy.state}: ${deploy.reason}`);
    await request();
    log(`server: API ${server.apiUrl}, router ${server.routerUrl}; ${rounds} round(s)`);

    const hand: number[] = [];
    const wake: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const arm of round % 2 === 0 ? (['hand', 'wake'] as const) : (['wake', 'hand'] as const)) {
        await api('POST', '/api/v1/environments/main/pause', arm === 'wake' ? { wakeOnRequest: true } : undefined);
        const started = performance.now();
        if (arm === 'hand') await api('POST', '/api/v1/environments/main/resume');
        await request();
        const ms = performance.now() - started;
        (arm === 'hand' ? hand : wake).push(ms);
        log(`round ${round + 1} ${arm.padEnd(4)} ${fmt(ms)} ms`);
      }
    }
    const byHand = summarize(hand);
    const woken = summarize(wake);
    const ratio = woken.median / byHand.median;
    const report = { rounds, machine: { cpus: cpus().length, node: process.version }, targetMs: TARGET_MS, hand: byHand, wake: woken, ratio, samples: { hand, wake }, withinTarget: woken.max <= TARGET_MS };
    if (args.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const row = (label: string, s: Summary) => `${label.padEnd(28)} ${fmt(s.median).padStart(7)} ms  (min ${fmt(s.min)}, max ${fmt(s.max)}, n ${s.n})`;
    console.log(`\nWake of the paused guestbook on local: until GET /api/entries through the router is answered`);
    console.log(row('by hand (resume, then GET)', byHand));
    console.log(row('wake on request (GET only)', woken));
    console.log(`ratio wake / by hand: ${fmt(ratio, 2)}; target: every woken request within ${fmt(TARGET_MS)} ms — ${report.withinTarget ? 'met' : 'NOT met'}`);
  } finally {
    if (server) {
      await server.engine.stop();
      for (const driver of Object.values(server.drivers)) await driver.sweep([]);
      await server.close();
    }
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
