import type { FastifyInstance } from 'fastify';
import { errorResponse, releaseActionsResponse, type BuiltInRole, type ReleaseActionResponse, type ReleaseActionsResponse } from '@slipway/contract';
import type { DecisionRefusal } from '@slipway/core';
import { endedRefusal } from '../../releases/release-service.ts';
import { releaseResponseOf } from '../../releases/release-views.ts';
import type { Releases } from '../../releases/start-releases.ts';
import { requireRole, roleRefusal, type Principal } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';

/** The least built-in role of each action on a release; the action routes (releases.ts) require these. */
export const releaseActionRoles = { approve: 'developer', reject: 'developer', promote: 'release-manager', abort: 'release-manager' } as const satisfies Record<string, BuiltInRole>;

const refParams = { type: 'object', properties: { ref: { type: 'string', description: 'release number (12) or id' } }, required: ['ref'] } as const;

/** The role check first (as the route makes it), then the domain's refusal. */
function actionOf(principal: Principal, role: BuiltInRole, refusal: DecisionRefusal | string | undefined): ReleaseActionResponse {
  const byRole = roleRefusal(principal, role);
  if (byRole) return { allowed: false, reason: byRole, status: 403 };
  if (refusal === undefined) return { allowed: true };
  if (typeof refusal === 'string') return { allowed: false, reason: refusal, status: 409 };
  return { allowed: false, reason: refusal.message, status: refusal.kind === 'conflict' ? 409 : 403 };
}

/**
 * What the caller may do with a release now — approve, reject, promote, abort — and why not, for
 * the portal to show buttons only to those who may act and the reason to the others. The answers
 * come from the checks the actions themselves make, so they cannot disagree.
 */
export function releaseActionRoutes(app: FastifyInstance, releases: Releases): void {
  app.get<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref/actions',
    {
      schema: {
        summary: 'What the caller may do with the release now (approve, reject, promote, abort) and, when not, the answer the action would give',
        tags: ['releases'],
        params: refParams,
        response: { 200: jsonSchema(releaseActionsResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request): Promise<ReleaseActionsResponse> => {
      const principal = requireRole(request, 'viewer');
      const approver = releases.identity(principal);
      const found = await releases.service.decisions(principal.workspace, request.params.ref, approver);
      const { release, stage, myApproval } = found;
      const ended = endedRefusal(release);
      // The caller's own approval as the release shows it: which role it fills, or why it does not count.
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
        ...(mine ? { myApproval: { at: mine.at, ...(mine.countsAs ? { countsAs: mine.countsAs } : {}), ...(mine.ignored ? { ignored: mine.ignored } : {}), ...(mine.expiresAt ? { expiresAt: mine.expiresAt } : {}) } } : {}),
      };
    },
  );
}
