import type { Kysely } from 'kysely';
import type { Database } from './database-schema.ts';

/**
 * The images the docker or kubernetes runtime built for an application's commit: those of the last
 * succeeded deploy of that commit in any environment of the application (deleted ones too — the
 * image stays on the engine as a cache), by service; undefined when none was built.
 */
export async function imagesOfCommit(db: Kysely<Database>, workspace: string, applicationId: string, commit: string): Promise<Record<string, string> | undefined> {
  const rows = await db
    .selectFrom('deploys')
    .innerJoin('environments', 'environments.id', 'deploys.environment_id')
    .select(['deploys.source_json'])
    .where('environments.workspace', '=', workspace)
    .where('environments.application_id', '=', applicationId)
    .where('deploys.commit_sha', '=', commit)
    .where('deploys.state', '=', 'succeeded')
    .where('deploys.source_json', 'is not', null)
    .orderBy('deploys.finished_at', 'desc')
    .limit(20)
    .execute();
  for (const row of rows) {
    const images = (JSON.parse(row.source_json!) as { images?: Record<string, string> }).images;
    if (images && Object.keys(images).length) return images;
  }
  return undefined;
}

