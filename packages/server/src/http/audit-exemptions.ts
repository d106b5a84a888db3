/**
 * The state-changing API operations ("METHOD /path", as operation-roles.ts keys them) that write no
 * audit entry of their own, each with the reason. Every other POST, PUT, PATCH and DELETE writes
 * exactly one entry in the caller's workspace, in the same transaction as its change;
 * audit-coverage.test.ts calls each to prove it. Keep this list short: a new exemption needs a
 * reason a reviewer would accept.
 */
export const auditExemptOperations: Readonly<Record<string, string>> = {
  'POST /api/v1/webhooks/github':
    'a delivery is not itself a change, and it carries no Slipway user: each change it causes (a preview environment created, patched or deleted; a pre-release started) writes its own entry, by "slipway" with details.trigger naming the pull request or push; a delivery that changes nothing writes nothing',
};
