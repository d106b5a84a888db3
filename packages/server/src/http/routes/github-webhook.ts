import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorResponse } from '@slipway/contract';
import { AuthenticationError, InputError } from '@slipway/core';
import { z } from 'zod';
import type { GithubWebhooks } from '../../sources/github/github-webhooks.ts';
import { jsonSchema } from '../json-schema.ts';

/** The one /api/v1 path without a bearer token: GitHub signs its deliveries instead (build-api.ts exempts it). */
export const GITHUB_WEBHOOK_PATH = '/api/v1/webhooks/github';

/** Large pushes make large payloads; GitHub itself stops at 25 MB. */
const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;

const deliveryResponse = z.object({
  delivery: z.string(),
  outcome: z.enum(['accepted', 'duplicate', 'ignored']).describe('accepted: handled in the background; duplicate: this delivery id was received before, nothing done; ignored: not about previews'),
  reason: z.string().optional(),
});

const headers = {
  type: 'object',
  properties: {
    'x-hub-signature-256': { type: 'string', description: 'sha256=<HMAC-SHA256 of the raw body with the webhook secret>' },
    'x-github-event': { type: 'string', description: 'pull_request, push or ping; others are ignored' },
    'x-github-delivery': { type: 'string', description: 'the delivery id: a redelivery with the same id changes nothing' },
  },
  required: ['x-hub-signature-256', 'x-github-event', 'x-github-delivery'],
} as const;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * GitHub's webhook deliveries. The body is kept raw, because the signature covers its exact bytes;
 * a missing or wrong signature is refused with 401 before anything is read or recorded.
 */
export function githubWebhookRoute(app: FastifyInstance, deps: { github: GithubWebhooks }): void {
  void app.register(async (scope) => {
    // Only inside this scope: every other route keeps Fastify's JSON parser.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES }, (_request, body, done) => done(null, body));

    scope.post(
      GITHUB_WEBHOOK_PATH,
      {
        bodyLimit: MAX_WEBHOOK_BYTES,
        schema: {
          summary: 'Receive a GitHub webhook delivery (pull_request, push): signed with the webhook secret, not a bearer token',
          tags: ['previews'],
          security: [],
          headers,
          body: { type: 'object', description: "GitHub's event payload, as application/json or application/x-www-form-urlencoded (payload=…)" },
          response: {
            200: jsonSchema(deliveryResponse),
            202: jsonSchema(deliveryResponse),
            400: jsonSchema(errorResponse),
            401: jsonSchema(errorResponse),
          },
        },
      },
      async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
        if (!(await deps.github.verify(raw, header(request, 'x-hub-signature-256')))) {
          throw new AuthenticationError('the X-Hub-Signature-256 header is missing or does not match the body signed with the webhook secret (SLIPWAY_GITHUB_WEBHOOK_SECRET)');
        }
        const eventName = header(request, 'x-github-event');
        const delivery = header(request, 'x-github-delivery');
        if (!eventName || !/^[a-z_]{1,64}$/.test(eventName)) throw new InputError('the X-GitHub-Event header is missing or not an event name');
        if (!delivery || !/^[A-Za-z0-9-]{1,100}$/.test(delivery)) throw new InputError('the X-GitHub-Delivery header is missing or not a delivery id');
        let payload: unknown;
        try {
          const form = (header(request, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded');
          payload = JSON.parse(form ? (new URLSearchParams(raw).get('payload') ?? '') : raw);
        } catch {
          throw new InputError('the body is not a JSON payload');
        }
        if (eventName === 'ping') return reply.code(200).send({ delivery, outcome: 'ignored', reason: 'ping: the webhook reaches Slipway' });
        const result = await deps.github.receive({ id: delivery, eventName, payload });
        if (result.outcome === 'accepted') return reply.code(202).send({ delivery, outcome: 'accepted' });
        return reply.code(200).send({ delivery, outcome: result.outcome, ...(result.outcome === 'ignored' ? { reason: result.reason } : {}) });
      },
    );
  });
}
