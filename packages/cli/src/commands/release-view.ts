import pc from 'picocolors';
import type { GateResult, ReleaseResponse, ReleaseState, ReleaseTrackResponse, SnapshotResponse, TrackViewResponse } from '@slipway/contract';
import { table } from '../table.ts';
import { relativeTime } from '../time-format.ts';

// Releases, snapshots and tracks as people read them in a terminal: a symbol and colour per state,
// each gate with its result, the approvals still missing.

export function stateMark(state: ReleaseState): string {
  switch (state) {
    case 'Promoted':
      return pc.green(`✓ ${state}`);
    case 'Failed':
    case 'Errored':
    case 'Rejected':
      return pc.red(`✗ ${state}`);
    case 'Aborted':
      return pc.yellow(`⊘ ${state}`);
    case 'AwaitingApproval':
      return pc.yellow(`◐ ${state}`);
    case 'Pending':
      return pc.dim(`… ${state}`);
    default:
      return pc.cyan(`● ${state}`);
  }
}

const gateMarks: Record<GateResult['status'], (s: string) => string> = {
  passed: (s) => pc.green(`${s} ✓`),
  pending: (s) => pc.yellow(`${s} …`),
  failed: (s) => pc.red(`${s} ✗`),
  blocked: (s) => pc.yellow(`${s} ⏸`),
  'not-run': (s) => pc.dim(`${s} -`),
};

/** One gate in a few words: "tests ✓", "approvals … missing product, security", "window ⏸ until …". */
export function gateLine(gate: GateResult, now: Date): string {
  const mark = gateMarks[gate.status](gate.gate);
  if (gate.status === 'passed' || gate.status === 'not-run') return mark;
  if (gate.gate === 'approvals') return `${mark} ${gate.detail}`;
  if (gate.until) return `${mark} until ${gate.until} (${relativeTime(gate.until, now)})`;
  return `${mark} ${gate.detail}`;
}

const missingText = (missing: { role: string; count: number }[]) => missing.map((m) => (m.count > 1 ? `${m.count} × ${m.role}` : m.role)).join(', ');

export function releaseTitle(release: ReleaseResponse): string {
  const what = release.kind === 'rollback' ? `rollback of #${release.rollbackOf ?? '?'} to ${release.snapshot.alias}` : `${release.kind} of ${release.snapshot.alias}`;
  return `${pc.bold(`release #${release.number}`)} · ${what} (set ${release.set}) along ${release.track} · by ${release.author}`;
}

/** `releases list`: one row per release. */
export function releaseTable(releases: ReleaseResponse[], now: Date): string {
  return table(
    ['#', 'kind', 'snapshot', 'track', 'state', 'stage', 'author', 'created'],
    releases.map((r) => {
      const stage = r.currentStage !== undefined ? r.stages[r.currentStage]?.name : undefined;
      return [String(r.number), r.kind, r.snapshot.alias, r.track, stateMark(r.state), stage ?? '-', r.author, relativeTime(r.createdAt, now)];
    }),
  );
}

/** `releases get`: every stage with its state and gates, what it waits for, its deploys, tests and approvals, and the transitions. */
export function releaseDetails(release: ReleaseResponse, now: Date): string {
  const lines: string[] = [releaseTitle(release), `  state: ${stateMark(release.state)}${release.reason ? ` — ${release.reason}` : ''}`];
  const status = release.commitStatus;
  if (status) {
    const where = status.reportedTo ? `sent to ${status.reportedTo} (${status.repository}@${status.sha.slice(0, 7)})` : `recorded here (${status.sha.slice(0, 7)})`;
    lines.push(`  commit status ${status.context}: ${status.state} — ${status.description}; ${where}${status.note ? pc.dim(` — ${status.note}`) : ''}`);
  }
  lines.push('');
  lines.push(
    table(
      ['stage', 'state', 'gates'],
      release.stages.map((s) => [
        s.name,
        s.queuedAt ? stateMark(s.state) : pc.dim('not reached'),
        s.gates.length ? s.gates.map((g) => gateLine(g, now)).join('  ') : s.queuedAt ? '' : pc.dim(gateSummaryOf(s.missingApprovals)),
      ]),
    ),
  );
  for (const s of release.stages) {
    if (!s.queuedAt) continue;
    const details: string[] = [];
    if (s.waitingFor) details.push(`waiting: ${s.waitingFor}`);
    if (s.targets.length) details.push(`deploys: ${s.targets.map((t) => `${t.app}@${t.commit.slice(0, 7)} → ${t.envId} ${t.state}${t.reason && t.state !== 'succeeded' ? ` (${t.reason})` : ''}`).join(', ')}`);
    if (s.tests.length) details.push(`tests: ${s.tests.map((t) => `${t.job}${t.envId ? ` in ${t.envId}` : ''} ${t.state}${t.reason ? ` (${t.reason})` : ''}`).join(', ')}`);
    for (const a of s.approvals) {
      details.push(
        `${{ approve: 'approved', reject: 'rejected', promote: 'promoted' }[a.decision]} by ${a.user}${a.countsAs ? ` as ${a.countsAs}` : a.roles.length ? ` (${a.roles.join(', ')})` : ''} ${relativeTime(a.at, now)}${a.comment ? `: "${a.comment}"` : ''}${a.ignored ? pc.dim(` — does not count: ${a.ignored}`) : ''}`,
      );
    }
    if (s.missingApprovals.length && s.state !== 'Promoted' && s.queuedAt) details.push(`missing approvals: ${missingText(s.missingApprovals)}`);
    if (details.length) lines.push('', `${pc.bold(s.name)}`, ...details.map((d) => `  ${d}`));
  }
  if (release.transitions?.length) {
    lines.push('', pc.bold('transitions'));
    lines.push(
      table(
        ['at', 'stage', 'move', 'by', 'why'],
        release.transitions.map((t) => [t.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), t.stage !== undefined ? (release.stages[t.stage]?.name ?? String(t.stage)) : 'release', `${t.from ? `${t.from} → ` : '→ '}${t.to}`, t.actor, t.reason]),
      ),
    );
  }
  return lines.join('\n');
}

function gateSummaryOf(missing: { role: string; count: number }[]): string {
  return missing.length ? `approvals: ${missingText(missing)}` : '';
}

/** `tracks get`: each lane, stage by stage — what runs there, who is on the way, gates and missing approvals. */
export function trackPicture(view: TrackViewResponse, now: Date): string {
  const lines: string[] = [`${pc.bold(view.track)}${view.applicationSet ? ` (set ${view.applicationSet})` : ''}`];
  for (const lane of view.lanes) {
    lines.push('', pc.bold(`${lane.kind.toUpperCase()} STAGES`));
    lane.stages.forEach((stage) => {
      const gates = describeGates(stage.gates);
      lines.push(`  ${stage.index + 1}. ${pc.bold(stage.name)}${stage.environments.join('+') !== stage.name ? ` [${stage.environments.join(', ')}]` : ''}${gates ? pc.dim(`  gates: ${gates}`) : ''}`);
      if (stage.held) lines.push(`     ${pc.yellow('⏸ held')} by ${stage.held.by}${stage.held.release !== undefined ? ` (rollback #${stage.held.release})` : ''} ${relativeTime(stage.held.at, now)}: releases enter only when promoted deliberately`);
      if (stage.releases.length === 0) lines.push(`     ${pc.dim('no release yet')}`);
      for (const r of stage.releases) {
        const head = `     #${r.number} ${r.snapshot}${r.kind !== 'release' ? ` (${r.kind})` : ''}  ${stateMark(r.state)}${r.current ? pc.dim('  ← runs here now') : ''}`;
        lines.push(head);
        const active = r.state !== 'Promoted' && r.state !== 'Failed' && r.state !== 'Errored' && r.state !== 'Rejected' && r.state !== 'Aborted';
        if (active && r.gates.length) lines.push(`        ${r.gates.map((g) => gateLine(g, now)).join('  ')}`);
        if (active && r.missingApprovals.length) lines.push(`        missing approvals: ${missingText(r.missingApprovals)}`);
        if (r.waitingFor && r.state !== 'AwaitingApproval' && r.state !== 'Promoted') lines.push(pc.dim(`        ${r.waitingFor}`));
      }
    });
  }
  return lines.join('\n');
}

function describeGates(g: TrackViewResponse['lanes'][number]['stages'][number]['gates']): string {
  const parts: string[] = [];
  if (g.tests.length) parts.push(`tests ${g.tests.join(', ')}`);
  if (g.soak) parts.push(`soak ${g.soak}`);
  if (g.approvals) parts.push(`approvals ${g.approvals.required.map((r) => (r.count > 1 ? `${r.count} × ${r.role}` : r.role)).join(', ')}${g.approvals.expireAfter ? ` (expire after ${g.approvals.expireAfter})` : ''}`);
  for (const w of g.windows) parts.push(`${w.type} "${w.schedule}" for ${w.duration}${w.timezone !== 'UTC' ? ` ${w.timezone}` : ''}`);
  if (!g.healthy) parts.push('health not checked');
  return parts.join(' · ');
}

/** `tracks list`: one row per track. */
export function trackTable(tracks: ReleaseTrackResponse[]): string {
  const lane = (stages: ReleaseTrackResponse['releaseStages']) => stages.map((s) => s.name).join(' → ') || '-';
  return table(
    ['name', 'set', 'release stages', 'hotfix stages', 'pre-release stages'],
    tracks.map((t) => [t.name, t.applicationSet ?? '-', lane(t.releaseStages), lane(t.hotfixStages), lane(t.preReleaseStages)]),
  );
}

export function snapshotDetails(snapshot: SnapshotResponse, now: Date): string {
  return [
    `${pc.bold(snapshot.alias)} · ${snapshot.kind} snapshot of set ${snapshot.set} · by ${snapshot.createdBy} ${relativeTime(snapshot.createdAt, now)}`,
    `  id: ${snapshot.id}`,
    '',
    table(
      ['application', 'commit', 'from', 'image'],
      snapshot.components.map((c) => [c.app, c.commit.slice(0, 12), c.pullRequest !== undefined ? `pull request #${c.pullRequest}` : (c.branch ?? '-'), c.imageDigest ?? '-']),
    ),
  ].join('\n');
}

export function snapshotTable(snapshots: SnapshotResponse[], now: Date): string {
  return table(
    ['alias', 'set', 'kind', 'versions', 'by', 'created'],
    snapshots.map((s) => [s.alias, s.set, s.kind, s.components.map((c) => `${c.app}@${c.commit.slice(0, 7)}`).join(' '), s.createdBy, relativeTime(s.createdAt, now)]),
  );
}
