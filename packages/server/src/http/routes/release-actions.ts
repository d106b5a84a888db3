import type { FastifyInstance } from 'fastify';
import { errorResponse, releaseActionsResponse, type BuiltInRole, type ReleaseActionResponse, type ReleaseActionsResponse } from '@slipway/contract';
import type { DecisionRefusal } from '@slipway/core';
import { endedRefusal, type HeldEntry } from '../../releases/release-service.ts';
import { releaseResponseOf } from '../../releases/release-views.ts';
import type { Releases } from '../../releases/start-releases.ts';
import { principalOf, hasRole, roleRefusal, type Principal } from '../authorize.ts';
import { operationRoles } from '../operation-roles.ts';
import { jsonSchema } from '../json-schema.ts';

/** The least role of an operation in operationRoles, which is the decision (and docs/security.md's table). */
function roleOfOperation(operation: string): BuiltInRole {
  const role = operationRoles[operation];
  if (role === undefined || role === 'no-token') throw new Error(`operationRoles has no built-in role for ${operation}`);
  return role;
}

/**
 * The least built-in role of each action on a release, read from operationRoles: the action routes
 * (releases.ts) require these, and the actions endpoints below answer by them.
 */
export const releaseActionRoles = {
  create: roleOfOperation('POST /api/v1/releases'),
  approve: roleOfOperation('POST /api/v1/releases/{ref}/approve'),
  reject: roleOfOperation('POST /api/v1/releases/{ref}/reject'),
  promote: roleOfOperation('POST /api/v1/releases/{ref}/promote'),
  abort: roleOfOperation('POST /api/v1/releases/{ref}/abort'),
  rollback: roleOfOperation('POST /api/v1/releases/{ref}/rollback'),
} as const satisfies Record<string, BuiltInRole>;

const refParams = { type: 'object', properties: { ref: { type: 'string', description: 'release number (12) or id' } }, required: ['ref'] } as const;

/**
 * Lifting a rollback's hold is promoting the release waiting before the held stage. Not waiting
 * before one is no refusal of promote itself (it then promotes by the gates), so that answer has
 * no status; an ended release's does (409), and a role refusal's (403).
 */
function liftHoldOf(principal: Principal, held: HeldEntry | string, ended: string | undefined): ReleaseActionsResponse['liftHold'] {
  if (typeof held !== 'string') {
    const action = actionOf(principal, releaseActionRoles.promote, undefined);
    return action.allowed ? { ...action, stage: held } : action;
  }
  const action = actionOf(principal, releaseActionRoles.promote, held);
  return action.status === 409 && !ended ? { allowed: false, reason: held } : action;
}

/** The role check first (as the route makes it), then the domain's refusal. */
export function actionOf(principal: Principal, role: BuiltInRole, refusal: DecisionRefusal | string | undefined, status = 409): ReleaseActionResponse {
  const byRole = roleRefusal(principal, role);
  if (byRole) return { allowed: false, reason: byRole, status: 403 };
  if (refusal === undefined) return { allowed: true };
  if (typeof refusal === 'string') return { allowed: false, reason: refusal, status };
  return { allowed: false, reason: refusal.message, status: refusal.kind === 'conflict' ? 409 : 403 };
}

/**
 * What the caller may do with a release now — approve, reject, promote, abort, roll back, lift a
 * rollback's hold — and why not, for the portal to show buttons only to those who may act and the
 * reason to the others. The answers come from the checks the actions themselves make, so they
 * cannot disagree.
 */
export function releaseActionRoutes(app: FastifyInstance, releases: Releases): void {
  app.get<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref/actions',
    {
      schema: {
        summary: 'What the caller may do with the release now (approve, reject, promote, abort, roll back, lift a hold) and, when not, the answer the action would give',
        tags: ['releases'],
        params: refParams,
        response: { 200: jsonSchema(releaseActionsResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request): Promise<ReleaseActionsResponse> => {
      const principal = principalOf(request);
      const approver = releases.identity(principal);
      const found = await releases.service.decisions(principal.workspace, request.params.ref, approver);
      const { release, stage, myApproval } = found;
      const ended = endedRefusal(release);
      // The caller's own approval as the release shows it: which role it fills, or why it does not count.
      const [rollback, held] = await Promise.all([releases.service.rollbackChoices(principal.workspace, release.id), releases.service.heldEntry(principal.workspace, release.id)]);
      const mine = myApproval && stage ? releaseResponseOf(await releases.service.get(principal.workspace, release.id, false)).stages[stage.index]?.approvals.find((a) => a.user === myApproval.user && a.at === myApproval.at && a.decision === 'approve') : undefined;
      return {
        release: release.number,
        user: principal.name,
        role: principal.role,
        approverRoles: approver.roles,
        ...(stage ? { stage: { index: stage.index, name: stage.name, state: stage.state } } : {}),
        approve: actionOf(principal, releaseActionRoles.approve, found.approve),
        reject: actionOf(principal, releaseActionRoles.reject, found.reject),
        promote: actionOf(principal, releaseActionRoles.promote, ended),
        abort: actionOf(principal, releaseActionRoles.abort, ended),
        rollback: { ...actionOf(principal, releaseActionRoles.rollback, rollback.stages.length ? undefined : rollback.refusal), stages: hasRole(principal, releaseActionRoles.rollback) ? rollback.stages : [] },
        liftHold: liftHoldOf(principal, held, ended),
        ...(mine ? { myApproval: { at: mine.at, ...(mine.countsAs ? { countsAs: mine.countsAs } : {}), ...(mine.ignored ? { ignored: mine.ignored } : {}), ...(mine.expiresAt ? { expiresAt: mine.expiresAt } : {}) } } : {}),
      };
    },
  );
}
