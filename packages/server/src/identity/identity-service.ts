import type { BuiltInRole } from '@slipway/contract';
import { ConflictError, didYouMean, InputError, NotAllowedError, NotFoundError } from '@slipway/core';
import { getApiToken, insertApiToken, listApiTokens, pageApiTokens, revokeApiToken, revokeTokensOf, type ApiToken, type ListedApiToken } from '../store/api-tokens.ts';
import { recordAudit } from '../store/audit-ledger.ts';
import { transact } from '../store/transact.ts';
import type { Db } from '../store/database-schema.ts';
import type { KeysetPage, PageRequest } from '../store/keyset-page.ts';
import {
  addApproverRoles,
  countAdmins,
  findUser,
  getMember,
  getWorkspace,
  insertUser,
  insertWorkspace,
  listMembers,
  membershipOf,
  pageMembers,
  pageWorkspacesOf,
  removeApproverRoles,
  removeMembership,
  setRole,
  workspacesOf,
  type Member,
  type StoredWorkspace,
} from '../store/identity.ts';

/** Who acts: a Principal of the API, or anything shaped like one. */
export interface Actor {
  name: string;
  userId: string;
  workspace: string;
  role: BuiltInRole;
}

const ranks: Record<BuiltInRole, number> = { viewer: 0, developer: 1, 'release-manager': 2, admin: 3 };
const lower = (a: BuiltInRole, b: BuiltInRole): BuiltInRole => (ranks[a] <= ranks[b] ? a : b);
const sortedUnique = (roles: readonly string[] = []) => [...new Set(roles)].sort();

/**
 * Workspaces, users, their roles and their API tokens. Every change is checked here, then written
 * in one transaction with its audit entry, so the ledger holds exactly the changes that were made.
 * Role checks of the endpoints themselves are the routes' (requireRole); what depends on the data
 * (whose token, the last admin) is checked here.
 */
export class IdentityService {
  constructor(private readonly db: Db) {}

  /** Creates a workspace; its creator becomes its admin. */
  async createWorkspace(actor: Actor, name: string): Promise<StoredWorkspace & { role: BuiltInRole; approverRoles: string[] }> {
    return transact(this.db, async (tx) => {
      if (await getWorkspace(tx, name)) throw new ConflictError(`workspace ${name} exists already`);
      const workspace = await insertWorkspace(tx, { name, createdBy: actor.name });
      await setRole(tx, name, actor.userId, 'admin');
      await recordAudit(tx, { workspace: name, actor: actor.name, kind: 'workspace.create', subject: name, details: { admin: actor.name, from: actor.workspace } });
      return { ...workspace, role: 'admin' as const, approverRoles: [] };
    });
  }

  listWorkspaces(actor: Actor) {
    return workspacesOf(this.db, actor.userId);
  }

  pageWorkspaces(actor: Actor, page: PageRequest) {
    return pageWorkspacesOf(this.db, actor.userId, page);
  }

  pageUsers(actor: Actor, page: PageRequest): Promise<KeysetPage<Member>> {
    return pageMembers(this.db, actor.workspace, page);
  }

  listUsers(actor: Actor): Promise<Member[]> {
    return listMembers(this.db, actor.workspace);
  }

  async getUser(actor: Actor, name: string): Promise<Member> {
    const member = await getMember(this.db, actor.workspace, name);
    if (!member) throw await this.notFound(this.db, actor.workspace, name);
    return member;
  }

  /** Creates a user with a role (and approver roles) in the actor's workspace. */
  async createUser(actor: Actor, input: { name: string; role: BuiltInRole; approverRoles?: readonly string[] }): Promise<Member> {
    const approverRoles = sortedUnique(input.approverRoles);
    return transact(this.db, async (tx) => {
      if (await findUser(tx, input.name)) {
        throw new ConflictError(`user ${input.name} exists already; give them a role in workspace ${actor.workspace} with slipway users grant ${input.name} --role ${input.role}`);
      }
      const user = await insertUser(tx, { name: input.name, createdBy: actor.name });
      await setRole(tx, actor.workspace, user.id, input.role);
      await addApproverRoles(tx, actor.workspace, user.id, approverRoles);
      await recordAudit(tx, { workspace: actor.workspace, actor: actor.name, kind: 'user.create', subject: user.name, details: { role: input.role, approverRoles } });
      return { userId: user.id, name: user.name, workspace: actor.workspace, role: input.role, approverRoles, createdAt: user.createdAt };
    });
  }

  /** Sets a user's role in the actor's workspace (making them a member) and/or adds approver roles. */
  async grant(actor: Actor, name: string, input: { role?: BuiltInRole; approverRoles?: readonly string[] }): Promise<Member> {
    const approverRoles = sortedUnique(input.approverRoles);
    return transact(this.db, async (tx) => {
      const user = await findUser(tx, name);
      if (!user) throw await this.notFound(tx, actor.workspace, name);
      const before = await membershipOf(tx, actor.workspace, user.id);
      if (!before && !input.role) throw new InputError(`${name} is not a member of workspace ${actor.workspace}: give them a role too (--role viewer, developer, release-manager or admin)`);
      if (input.role && before?.role === 'admin' && input.role !== 'admin') await this.keepAnAdmin(tx, actor.workspace, name);
      if (input.role) await setRole(tx, actor.workspace, user.id, input.role);
      const added = approverRoles.filter((r) => !before?.approverRoles.includes(r));
      await addApproverRoles(tx, actor.workspace, user.id, added);
      await recordAudit(tx, {
        workspace: actor.workspace,
        actor: actor.name,
        kind: 'role.grant',
        subject: name,
        details: { ...(input.role ? { role: input.role, previousRole: before?.role ?? null } : {}), ...(approverRoles.length ? { approverRoles: added } : {}) },
      });
      return (await getMember(tx, actor.workspace, name))!;
    });
  }

  /**
   * Revokes approver roles, and/or the user's role itself — which removes them from the actor's
   * workspace, approver roles and all, and revokes their tokens acting there. Naming a role they do not hold is refused, so a typo never
   * passes for done.
   */
  async revoke(actor: Actor, name: string, input: { role?: BuiltInRole; approverRoles?: readonly string[] }): Promise<Member | { name: string; workspace: string; removed: true }> {
    const approverRoles = sortedUnique(input.approverRoles);
    return transact(this.db, async (tx) => {
      const member = await getMember(tx, actor.workspace, name);
      if (!member) throw await this.notFound(tx, actor.workspace, name);
      if (input.role && input.role !== member.role) throw new ConflictError(`${name} holds ${member.role} in workspace ${actor.workspace}, not ${input.role}; to change it, slipway users grant ${name} --role <role>`);
      const notHeld = approverRoles.filter((r) => !member.approverRoles.includes(r));
      if (notHeld.length) throw new ConflictError(`${name} does not hold ${notHeld.join(', ')} in workspace ${actor.workspace}; they hold ${member.approverRoles.join(', ') || 'no approver role'}`);
      if (input.role === 'admin') await this.keepAnAdmin(tx, actor.workspace, name);
      let tokensRevoked = 0;
      if (input.role) {
        await removeMembership(tx, actor.workspace, member.userId);
        // Their tokens here go too, so adding them back later does not bring an old token back to life.
        tokensRevoked = await revokeTokensOf(tx, member.userId, actor.workspace);
      } else await removeApproverRoles(tx, actor.workspace, member.userId, approverRoles);
      await recordAudit(tx, {
        workspace: actor.workspace,
        actor: actor.name,
        kind: 'role.revoke',
        subject: name,
        details: input.role ? { role: input.role, approverRoles: member.approverRoles, removedFromWorkspace: true, tokensRevoked } : { approverRoles },
      });
      if (input.role) return { name, workspace: actor.workspace, removed: true as const };
      return (await getMember(tx, actor.workspace, name))!;
    });
  }

  /**
   * Creates a token acting in the actor's workspace: for the actor, or (admins) for another member.
   * It may do at most what its user may, and — made by its own user — at most what the token that
   * asked may, so a limited token never mints a stronger one.
   */
  async createToken(actor: Actor, input: { name: string; user?: string; role?: BuiltInRole }): Promise<{ token: ApiToken & { createdAt: string }; secret: string }> {
    const userName = input.user ?? actor.name;
    if (userName !== actor.name && actor.role !== 'admin') throw new NotAllowedError(`making a token for another user (${userName}) needs the admin role in workspace ${actor.workspace}; ${actor.name} acts with ${actor.role}`);
    return transact(this.db, async (tx) => {
      const member = await getMember(tx, actor.workspace, userName);
      if (!member) throw await this.notFound(tx, actor.workspace, userName);
      const ceiling = userName === actor.name ? lower(member.role, actor.role) : member.role;
      const role = input.role ?? ceiling;
      if (ranks[role] > ranks[ceiling]) throw new NotAllowedError(`a token of ${userName} may do at most ${ceiling} in workspace ${actor.workspace}; ask for that or less than ${role}`);
      const now = new Date();
      const created = await insertApiToken(tx, { name: input.name, workspace: actor.workspace, role, userId: member.userId, userName, now });
      await recordAudit(tx, { workspace: actor.workspace, actor: actor.name, kind: 'token.create', subject: created.token.id, details: { name: input.name, user: userName, role } });
      return { token: { ...created.token, createdAt: now.toISOString() }, secret: created.secret };
    });
  }

  /** Tokens acting in the actor's workspace: their own, or (admins) anyone's or one user's. */
  async listTokens(actor: Actor, filter: { user?: string; includeRevoked?: boolean } = {}): Promise<ListedApiToken[]> {
    return listApiTokens(this.db, await this.tokenFilter(actor, filter));
  }

  /** One page of `listTokens`. */
  async pageTokens(actor: Actor, filter: { user?: string; includeRevoked?: boolean }, page: PageRequest): Promise<KeysetPage<ListedApiToken>> {
    return pageApiTokens(this.db, await this.tokenFilter(actor, filter), page);
  }

  private async tokenFilter(actor: Actor, filter: { user?: string; includeRevoked?: boolean }): Promise<{ workspace: string; userId?: string; includeRevoked?: boolean }> {
    const userName = filter.user ?? (actor.role === 'admin' ? undefined : actor.name);
    if (userName !== undefined && userName !== actor.name && actor.role !== 'admin') throw new NotAllowedError(`listing the tokens of another user (${userName}) needs the admin role in workspace ${actor.workspace}`);
    let userId: string | undefined;
    if (userName !== undefined) {
      const user = await findUser(this.db, userName);
      if (!user) throw await this.notFound(this.db, actor.workspace, userName);
      userId = user.id;
    }
    return { workspace: actor.workspace, ...(userId ? { userId } : {}), ...(filter.includeRevoked ? { includeRevoked: true } : {}) };
  }

  /** Revokes a token acting in the actor's workspace: their own, or (admins) anyone's. */
  async revokeToken(actor: Actor, id: string): Promise<ListedApiToken> {
    return transact(this.db, async (tx) => {
      const token = /^[0-9a-f-]{36}$/.test(id) ? await getApiToken(tx, id) : undefined;
      if (!token || token.workspace !== actor.workspace) throw new NotFoundError(`no token ${id} in workspace ${actor.workspace}; slipway tokens list shows them`);
      if (token.userId !== actor.userId && actor.role !== 'admin') throw new NotAllowedError(`revoking a token of another user (${token.user}) needs the admin role in workspace ${actor.workspace}`);
      if (token.revokedAt) throw new ConflictError(`token ${id} (${token.name}) was revoked already, at ${token.revokedAt}`);
      const now = new Date();
      await revokeApiToken(tx, id, now);
      await recordAudit(tx, { workspace: actor.workspace, actor: actor.name, kind: 'token.revoke', subject: id, details: { name: token.name, user: token.user } });
      return { ...token, revokedAt: now.toISOString() };
    });
  }

  private async keepAnAdmin(tx: Db, workspace: string, name: string): Promise<void> {
    if ((await countAdmins(tx, workspace)) <= 1) throw new ConflictError(`${name} is the last admin of workspace ${workspace}; make another member admin first`);
  }

  /** Not found, said so it helps: a suggestion among the workspace's members, or how to add them. */
  private async notFound(db: Db, workspace: string, name: string): Promise<NotFoundError> {
    if (await findUser(db, name)) return new NotFoundError(`${name} is not a member of workspace ${workspace}; slipway users grant ${name} --role <role> adds them`);
    const names = (await listMembers(db, workspace)).map((m) => m.name);
    return new NotFoundError(`no user ${name}${didYouMean(name, names)}; create one with slipway users create ${name}`);
  }
}
