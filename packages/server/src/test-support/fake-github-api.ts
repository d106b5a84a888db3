// A local HTTP server standing in for GitHub's REST API: it records every request and answers the
// few calls Slipway makes (commit statuses, issue comments) as GitHub does.
import { createServer, type Server } from 'node:http';

export interface RecordedCall {
  method: string;
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
}

export interface FakeGithubApi {
  url: string;
  calls: RecordedCall[];
  /** Ids of comments deleted as if by a person: editing them answers 404. */
  deletedComments: Set<number>;
  close(): Promise<void>;
}

export async function startFakeGithubApi(): Promise<FakeGithubApi> {
  const calls: RecordedCall[] = [];
  const deletedComments = new Set<number>();
  let nextId = 1000;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const call: RecordedCall = { method: req.method ?? 'GET', path, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      if (req.headers.authorization) call.authorization = req.headers.authorization;
      calls.push(call);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (call.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]{40}$/.test(path)) return send(201, { id: nextId++, ...call.body });
      if (call.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path)) return send(201, { id: nextId++, body: call.body.body });
      const edit = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path);
      if (call.method === 'PATCH' && edit) {
        if (deletedComments.has(Number(edit[1]))) return send(404, { message: 'Not Found' });
        return send(200, { id: Number(edit[1]), body: call.body.body });
      }
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    calls,
    deletedComments,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
