import { durationToMs } from '@slipway/contract';

// Approvals are policy: a stage names the roles whose members must sign off, and how many distinct
// members of each. The release's own author cannot approve it (unless the track allows), approvals
// expire, and one person counts once — someone holding both qa and product fills one of the two,
// never both, so separation of duties holds however roles are granted.

export interface ApprovalRequirement {
  role: string;
  count?: number;
}

export interface ApprovalPolicy {
  required: ApprovalRequirement[];
  expireAfter?: string;
  allowAuthor?: boolean;
}

/** One sign-off as recorded: who, the approver roles they held then, and when. */
export interface ApprovalRecord {
  user: string;
  roles: string[];
  at: string;
}

export interface ApprovalStatus {
  satisfied: boolean;
  /** Requirements not filled yet, with how many more approvals each needs. */
  missing: { role: string; count: number }[];
  /** Which approval fills which role. */
  counted: { user: string; role: string; at: string }[];
  /** Approvals that do not count, and why (expired, by the author, no required role, spare). */
  ignored: { user: string; reason: string }[];
  /** When the earliest counted approval expires; the status may change then. */
  expiresAt?: string;
}

/** Who is asking: the user and the approver roles they hold now. */
export interface Approver {
  user: string;
  roles: string[];
}

/**
 * Why this person may not approve (or reject) under the policy, or undefined when they may: the
 * author is refused unless the track allows it, and someone without any required role is refused.
 */
export function approvalRefusal(policy: ApprovalPolicy, approver: Approver, author: string): string | undefined {
  if (approver.user === author && !policy.allowAuthor) {
    return `${approver.user} is the release's author, and this stage does not allow the author to approve it (approvals.allowAuthor is false): someone else must sign off`;
  }
  const roles = [...new Set(policy.required.map((r) => r.role))];
  if (!roles.some((r) => approver.roles.includes(r))) {
    return `approving this stage needs one of the approver roles ${roles.join(', ')}; ${approver.user} has ${approver.roles.length ? approver.roles.join(', ') : 'none'}`;
  }
  return undefined;
}

/**
 * Which requirements the recorded approvals fill at `now`. Each user counts once (their latest
 * approval), toward one role; the assignment is a maximum matching of users to required seats, so
 * the answer never depends on the order approvals came in.
 */
export function evaluateApprovals(policy: ApprovalPolicy, approvals: ApprovalRecord[], author: string, now: Date): ApprovalStatus {
  const ignored: { user: string; reason: string }[] = [];
  const expiryMs = policy.expireAfter ? durationToMs(policy.expireAfter) : undefined;
  const latest = new Map<string, ApprovalRecord>();
  for (const a of approvals) {
    const seen = latest.get(a.user);
    if (!seen || seen.at < a.at) latest.set(a.user, a);
  }
  const eligible: ApprovalRecord[] = [];
  for (const a of [...latest.values()].sort((x, y) => x.at.localeCompare(y.at) || x.user.localeCompare(y.user))) {
    if (a.user === author && !policy.allowAuthor) ignored.push({ user: a.user, reason: "the release's author cannot approve it" });
    else if (expiryMs !== undefined && Date.parse(a.at) + expiryMs <= now.getTime()) ignored.push({ user: a.user, reason: `expired at ${new Date(Date.parse(a.at) + expiryMs).toISOString()}` });
    else eligible.push(a);
  }

  // Seats: one per required approval (role × count).
  const seats: string[] = [];
  for (const r of policy.required) for (let i = 0; i < (r.count ?? 1); i++) seats.push(r.role);
  const seatHolder: (number | undefined)[] = seats.map(() => undefined);
  const tryAssign = (u: number, visited: Set<number>): boolean => {
    for (let s = 0; s < seats.length; s++) {
      if (visited.has(s) || !eligible[u]!.roles.includes(seats[s]!)) continue;
      visited.add(s);
      const holder = seatHolder[s];
      if (holder === undefined || tryAssign(holder, visited)) {
        seatHolder[s] = u;
        return true;
      }
    }
    return false;
  };
  const assigned = new Set<number>();
  eligible.forEach((_, u) => {
    if (tryAssign(u, new Set())) assigned.add(u);
  });
  // An augmenting path may move an earlier user to another seat, never unseat them.
  const counted = seats.flatMap((role, s) => (seatHolder[s] === undefined ? [] : [{ user: eligible[seatHolder[s]!]!.user, role, at: eligible[seatHolder[s]!]!.at }]));
  eligible.forEach((a, u) => {
    if (assigned.has(u)) return;
    const required = policy.required.some((r) => a.roles.includes(r.role));
    ignored.push({ user: a.user, reason: required ? 'every seat of their roles is already filled' : 'holds none of the required roles' });
  });

  const wanted = new Map<string, number>();
  for (const r of policy.required) wanted.set(r.role, (wanted.get(r.role) ?? 0) + (r.count ?? 1));
  const missing = [...wanted].flatMap(([role, want]) => {
    const have = counted.filter((c) => c.role === role).length;
    return have < want ? [{ role, count: want - have }] : [];
  });
  const expiries = expiryMs === undefined ? [] : counted.map((c) => Date.parse(c.at) + expiryMs);
  return {
    satisfied: missing.length === 0,
    missing,
    counted,
    ignored,
    ...(expiries.length ? { expiresAt: new Date(Math.min(...expiries)).toISOString() } : {}),
  };
}

/** "qa, 2 × product" — missing approvals as people read them. */
export function describeMissing(missing: { role: string; count: number }[]): string {
  return missing.map((m) => (m.count > 1 ? `${m.count} × ${m.role}` : m.role)).join(', ');
}
