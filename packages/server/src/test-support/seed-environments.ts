// Many live environments the quickest honest way, for the list bench and the portal's long-list
// test: an application registered as the API registers it, each environment rendered from its
// manifest as the API renders it, then stored as if its setup deploy had succeeded (a `ready`
// environment with a finished deploy), in bulk inserts instead of one create call each, and no
// process started. What the list endpoints read is exactly what they read after real deploys.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApplicationManifest } from '@slipway/contract';
import { loadManifestText, renderEnvironment } from '@slipway/core';
import { putApplication } from '../store/applications.ts';
import type { Database } from '../store/database-schema.ts';

/** A small application of two services on the local runtime, each with a URL. */
export const SEED_MANIFEST = `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  runtime: local
  services:
    - name: web
      run: { command: node web.mjs }
      ports: [{ port: 3000 }]
      hostnames: ['\${service}-\${env_id}.\${domain}']
    - name: api
      run: { command: node api.mjs }
      ports: [{ port: 3001 }]
      hostnames: ['\${service}-\${env_id}.\${domain}']
  env:
    defaults: { LOG_LEVEL: info }
`;

const ROWS_PER_INSERT = 200;

/** Stores `count` ready environments of the seed application (named `app`, default shop) in `workspace`, ids `<prefix>-00000` on. */
export async function seedEnvironments(db: Kysely<Database>, options: { workspace?: string; count: number; app?: string; prefix?: string; domain?: string; routerPort?: number }): Promise<{ app: string; envIds: string[] }> {
  const workspace = options.workspace ?? 'default';
  const loaded = loadManifestText(SEED_MANIFEST.replace('metadata: { name: shop }', `metadata: { name: ${options.app ?? 'shop'} }`), 'seed.yaml');
  const manifest = loaded.value?.[0]?.manifest as ApplicationManifest | undefined;
  if (!manifest) throw new Error(`the seed manifest does not load: ${JSON.stringify(loaded.errors)}`);
  const { application } = await putApplication(db, { workspace, manifest, source: 'seed' });
  const settings = { domain: options.domain ?? 'slipway.localhost', scheme: 'http' as const, defaultRuntime: 'local' as const, ...(options.routerPort ? { routerPort: options.routerPort } : {}) };
  const commit = 'c0ffee'.padEnd(40, '0');
  const envIds = Array.from({ length: options.count }, (_, i) => `${options.prefix ?? 'env'}-${String(i).padStart(5, '0')}`);
  const at = new Date().toISOString();
  for (let start = 0; start < envIds.length; start += ROWS_PER_INSERT) {
    const environments: Database['environments'][] = [];
    const deploys: Database['deploys'][] = [];
    for (const envId of envIds.slice(start, start + ROWS_PER_INSERT)) {
      const rendered = renderEnvironment(manifest, { id: envId, kind: 'ephemeral', branch: `feature/${envId}`, commit }, settings);
      if (!rendered.value) throw new Error(`cannot render ${envId}: ${JSON.stringify(rendered.errors)}`);
      const id = randomUUID();
      environments.push({
        id,
        workspace,
        application_id: application.id,
        app: application.name,
        env_id: envId,
        kind: 'ephemeral',
        branch: `feature/${envId}`,
        commit_sha: commit,
        template: null,
        template_version: application.currentVersion,
        variables_json: '{}',
        urls_json: JSON.stringify(rendered.value.urls),
        status: 'ready',
        reason: null,
        ttl_ms: null,
        expires_at: null,
        last_activity_at: at,
        idle_timeout_ms: null,
        wake_on_request: null,
        parent_id: null,
        owned_by_parent: null,
        excluded_services_json: null,
        created_at: at,
        updated_at: at,
        deleted_at: null,
      });
      deploys.push({
        id: randomUUID(),
        environment_id: id,
        seq: 1,
        workflow: 'setup',
        state: 'succeeded',
        outcome: 'succeeded',
        reason: null,
        commit_sha: commit,
        rendered_json: JSON.stringify(rendered.value),
        render_inputs_json: JSON.stringify({ templateVersion: application.currentVersion, variables: {} }),
        source_json: JSON.stringify({ commit, staticRoots: {} }),
        requested_by: 'seed',
        created_at: at,
        started_at: at,
        finished_at: at,
      });
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('environments').values(environments).execute();
      await tx.insertInto('deploys').values(deploys).execute();
    });
  }
  return { app: application.name, envIds };
}

/** Adds `count` succeeded patch deploys (seq 2 on) to the seeded environment `envId`: a long deploy history. */
export async function seedDeploys(db: Kysely<Database>, options: { workspace?: string; envId: string; count: number }): Promise<void> {
  const env = await db.selectFrom('environments').select('id').where('workspace', '=', options.workspace ?? 'default').where('env_id', '=', options.envId).where('deleted_at', 'is', null).executeTakeFirstOrThrow();
  const first = await db.selectFrom('deploys').selectAll().where('environment_id', '=', env.id).where('seq', '=', 1).executeTakeFirstOrThrow();
  for (let start = 0; start < options.count; start += ROWS_PER_INSERT) {
    const rows: Database['deploys'][] = [];
    for (let i = start; i < Math.min(options.count, start + ROWS_PER_INSERT); i++) rows.push({ ...first, id: randomUUID(), seq: i + 2, workflow: 'patch' });
    await db.insertInto('deploys').values(rows).execute();
  }
}
