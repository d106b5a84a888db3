import type { TrackViewResponse } from '@slipway/contract';
import { Link } from 'react-router';
import { describeRoles, GateList, StateBadge, Time } from './release-format.tsx';

type Lane = TrackViewResponse['lanes'][number];
type Stage = Lane['stages'][number];

const laneOrder: Lane['kind'][] = ['release', 'hotfix', 'pre-release'];
const laneTitles: Record<Lane['kind'], string> = { release: 'Release stages', hotfix: 'Hotfix stages', 'pre-release': 'Pre-release stages' };

/** What a stage demands before a release leaves it, in one line. */
function gateSummary(stage: Stage): string {
  const parts: string[] = [];
  if (stage.gates.tests.length) parts.push(`tests ${stage.gates.tests.join(', ')}`);
  if (stage.gates.soak) parts.push(`soak ${stage.gates.soak}`);
  if (stage.gates.approvals) parts.push(`approvals ${describeRoles(stage.gates.approvals.required)}${stage.gates.approvals.expireAfter ? ` (expire after ${stage.gates.approvals.expireAfter})` : ''}`);
  if (stage.gates.windows.length) parts.push(`${stage.gates.windows.length} promotion window${stage.gates.windows.length > 1 ? 's' : ''}`);
  return parts.length ? parts.join(' · ') : 'health only';
}

function StageCard({ stage, lane }: { stage: Stage; lane: Lane['kind'] }) {
  const headingId = `stage-${lane}-${stage.index}`;
  return (
    <li className="stage" aria-labelledby={headingId}>
      <h3 id={headingId}>
        <span className="stage-number">{stage.index + 1}.</span> {stage.name}
      </h3>
      <p className="meta">
        {stage.environments.length > 1 || stage.environments[0] !== stage.name ? <>environments {stage.environments.join(', ')} · </> : null}
        gates: {gateSummary(stage)}
      </p>
      {stage.held ? (
        <p className="held" role="note">
          <span aria-hidden="true">⏸ </span>Held by {stage.held.by}
          {stage.held.release !== undefined ? ` (rollback #${stage.held.release})` : ''} since <Time at={stage.held.at} />: releases enter only when promoted deliberately.
        </p>
      ) : null}
      {stage.releases.length === 0 ? (
        <p className="empty">No release here.</p>
      ) : (
        <ul className="stage-releases" aria-label={`Releases in ${stage.name}`}>
          {stage.releases.map((r) => (
            <li key={r.number} className={r.current ? 'current' : undefined}>
              <div className="stage-release-head">
                <Link to={`/releases/${r.number}`} aria-label={`Release #${r.number} (${r.snapshot})`}>
                  #{r.number} {r.snapshot}
                </Link>
                {r.kind !== 'release' ? <span className="kind"> ({r.kind})</span> : null} <StateBadge state={r.state} />
                {r.current ? <span className="runs-here"> runs here now</span> : null}
              </div>
              {r.kind === lane || r.kind === 'rollback' ? (
                <>
                  <GateList gates={r.gates} label={`Gates of release #${r.number} in ${stage.name}`} />
                  {r.missingApprovals.length ? <p className="missing">Missing approvals: {describeRoles(r.missingApprovals)}</p> : null}
                  {r.waitingFor && r.missingApprovals.length === 0 ? <p className="waiting">{r.waitingFor}</p> : null}
                </>
              ) : (
                <p className="meta">
                  {r.state === 'Promoted' ? 'promoted here' : 'here on its way'} along the {laneTitles[r.kind as Lane['kind']].toLowerCase()}, where its gates are shown
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** A track drawn as a pipeline of stages for each lane, each stage with the releases standing in it. */
export function TrackPipeline({ view }: { view: TrackViewResponse }) {
  if (view.lanes.length === 0) return <p className="empty">This track has no stages.</p>;
  const lanes = [...view.lanes].sort((a, b) => laneOrder.indexOf(a.kind) - laneOrder.indexOf(b.kind));
  return (
    <>
      {lanes.map((lane) => (
        <section key={lane.kind} className="lane" aria-labelledby={`lane-${lane.kind}`}>
          <h2 id={`lane-${lane.kind}`}>{laneTitles[lane.kind]}</h2>
          <ol className="pipeline">
            {lane.stages.map((stage) => (
              <StageCard key={stage.index} stage={stage} lane={lane.kind} />
            ))}
          </ol>
        </section>
      ))}
    </>
  );
}
