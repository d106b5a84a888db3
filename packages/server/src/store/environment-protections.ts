import type { Kysely } from 'kysely';
import type { Database } from './database-schema.ts';

/** A mark an admin put on an environment id: only releases change it from then on (or break-glass). */
export interface EnvironmentMark {
  workspace: string;
  envId: string;
  by: string;
  reason: string;
  at: string;
}

/** The environments marked protected by hand, by workspace and id. */
export class EnvironmentProtections {
  constructor(private readonly db: Kysely<Database>) {}

  /** Marks (or re-marks, with a new reason) an environment id protected. */
  async mark(mark: Omit<EnvironmentMark, 'at'>, now = new Date()): Promise<EnvironmentMark> {
    const row = { workspace: mark.workspace, env_id: mark.envId, marked_by: mark.by, reason: mark.reason, marked_at: now.toISOString() };
    await this.db
      .insertInto('environment_protections')
      .values(row)
      .onConflict((c) => c.columns(['workspace', 'env_id']).doUpdateSet({ marked_by: row.marked_by, reason: row.reason, marked_at: row.marked_at }))
      .execute();
    return { ...mark, at: row.marked_at };
  }

  /** Lifts the mark; the mark it was, or undefined when there was none. */
  async unmark(workspace: string, envId: string): Promise<EnvironmentMark | undefined> {
    const [was] = await this.list(workspace, envId);
    if (was) await this.db.deleteFrom('environment_protections').where('workspace', '=', workspace).where('env_id', '=', envId).execute();
    return was;
  }

  async list(workspace: string, envId?: string): Promise<EnvironmentMark[]> {
    let query = this.db.selectFrom('environment_protections').selectAll().where('workspace', '=', workspace);
    if (envId !== undefined) query = query.where('env_id', '=', envId);
    const rows = await query.orderBy('env_id').execute();
    return rows.map((r) => ({ workspace: r.workspace, envId: r.env_id, by: r.marked_by, reason: r.reason, at: r.marked_at }));
  }
}
