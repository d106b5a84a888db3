import type { Kysely } from 'kysely';
import type { ApiToken } from '../store/api-tokens.ts';
import type { Database } from '../store/database-schema.ts';

/** What route handlers reach: the store, and who is asking. */
export interface ApiDependencies {
  db: Kysely<Database>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request authenticated with; set for every /api/v1 route. */
    principal?: ApiToken;
  }
}
