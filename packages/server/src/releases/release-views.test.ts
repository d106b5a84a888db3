// The track view's lanes: a release under way is listed only in the lane its kind follows, although
// the lanes share environments; which release a stage runs now is decided across all of them, and
// what a release or hotfix stage runs once promoted there is listed in both of those lanes.
import type { ReleaseKind, ReleaseStage, ReleaseState } from '@slipway/contract';
import { describe, expect, it } from 'vitest';
import type { StoredReleaseTrack } from '../store/release-catalog.ts';
import type { StoredStage } from '../store/releases.ts';
import { laneOf, trackViewOf, type ReleaseRecords } from './release-views.ts';

const dev: ReleaseStage = { name: 'dev', environments: ['dev'] };
const staging: ReleaseStage = { name: 'staging', environments: ['staging'] };
const production: ReleaseStage = { name: 'production', environments: ['production'] };

const track: StoredReleaseTrack = {
  workspace: 'default',
  name: 'shop-track',
  spec: { preReleaseStages: [dev], releaseStages: [dev, staging, production], hotfixStages: [staging, production] },
  version: 'v1',
  source: '',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

/** A release of `kind` through `stages`, each given as [state, enteredAt minute]. */
function releaseOf(number: number, kind: ReleaseKind, stages: ReleaseStage[], states: [ReleaseState, number | undefined][], rollbackOf?: number): ReleaseRecords {
  const id = `r${number}`;
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 2, 0, minute)).toISOString();
  const records: StoredStage[] = states.map(([state, entered], index) => ({
    releaseId: id,
    index,
    name: stages[index]!.name!,
    environments: stages[index]!.environments,
    state,
    queuedAt: at(0),
    ...(entered !== undefined ? { enteredAt: at(entered) } : {}),
    targets: [],
    tests: [],
    updatedAt: at(0),
  }));
  return {
    release: { id, workspace: 'default', number, kind, track: 'shop-track', set: 'shop', snapshotId: `s${number}`, author: 'rita', state: states.at(-1)![0], stages, createdAt: at(0), updatedAt: at(0) },
    stages: records,
    decisions: [],
    snapshot: { id: `s${number}`, alias: `shop-${number}` },
    ...(rollbackOf !== undefined ? { rollbackOf } : {}),
  };
}

const numbersIn = (view: ReturnType<typeof trackViewOf>, lane: string, stage: string) =>
  view.lanes.find((l) => l.kind === lane)!.stages.find((s) => s.name === stage)!.releases.map((r) => ({ number: r.number, current: r.current }));

describe('trackViewOf', () => {
  it('lists a release only in the lane it follows, though the hotfix lane shares its environments', () => {
    const release = releaseOf(1, 'release', track.spec.releaseStages, [
      ['Promoted', 1],
      ['AwaitingApproval', 2],
      ['Pending', undefined],
    ]);
    const view = trackViewOf(track, [release], []);
    expect(numbersIn(view, 'release', 'staging')).toEqual([{ number: 1, current: true }]);
    expect(numbersIn(view, 'release', 'production')).toEqual([{ number: 1, current: false }]);
    expect(numbersIn(view, 'hotfix', 'staging')).toEqual([]);
    expect(numbersIn(view, 'hotfix', 'production')).toEqual([]);
    expect(numbersIn(view, 'pre-release', 'dev')).toEqual([]);
    expect(numbersIn(view, 'release', 'dev')).toEqual([{ number: 1, current: true }]);
  });

  it('puts a hotfix and a pre-release in their own lanes, and marks what a shared stage runs only where that release is listed', () => {
    const release = releaseOf(1, 'release', track.spec.releaseStages, [
      ['Promoted', 1],
      ['Promoted', 2],
      ['Promoted', 3],
    ]);
    // The hotfix went into staging after release #1, so staging runs the hotfix now.
    const hotfix = releaseOf(2, 'hotfix', track.spec.hotfixStages, [
      ['Verifying', 10],
      ['Pending', undefined],
    ]);
    const preRelease = releaseOf(3, 'pre-release', track.spec.preReleaseStages, [['Deploying', 11]]);
    const view = trackViewOf(track, [release, hotfix, preRelease], []);
    expect(numbersIn(view, 'hotfix', 'staging')).toEqual([{ number: 2, current: true }]);
    // Production still runs release #1, promoted there: the hotfix lane lists it beside the queued hotfix.
    expect(numbersIn(view, 'hotfix', 'production')).toEqual([
      { number: 1, current: true },
      { number: 2, current: false },
    ]);
    // Release #1 no longer runs in staging, and the hotfix is not shown in the release lane.
    expect(numbersIn(view, 'release', 'staging')).toEqual([]);
    expect(numbersIn(view, 'release', 'production')).toEqual([{ number: 1, current: true }]);
    expect(numbersIn(view, 'pre-release', 'dev')).toEqual([{ number: 3, current: true }]);
    expect(numbersIn(view, 'release', 'dev')).toEqual([]);
  });

  it('shows a hotfix promoted to production in the release lane too, since production runs it now', () => {
    const release = releaseOf(1, 'release', track.spec.releaseStages, [
      ['Promoted', 1],
      ['Promoted', 2],
      ['Promoted', 3],
    ]);
    const hotfix = releaseOf(2, 'hotfix', track.spec.hotfixStages, [
      ['Promoted', 10],
      ['Promoted', 11],
    ]);
    const view = trackViewOf(track, [release, hotfix], []);
    expect(numbersIn(view, 'release', 'production')).toEqual([{ number: 2, current: true }]);
    expect(numbersIn(view, 'hotfix', 'production')).toEqual([{ number: 2, current: true }]);
    expect(numbersIn(view, 'release', 'staging')).toEqual([{ number: 2, current: true }]);
    // Development still runs release #1; the pre-release lane keeps to pre-releases.
    expect(numbersIn(view, 'release', 'dev')).toEqual([{ number: 1, current: true }]);
    expect(numbersIn(view, 'pre-release', 'dev')).toEqual([]);
    // While the next hotfix is still deploying to production, it is listed in its own lane only.
    const next = releaseOf(3, 'hotfix', track.spec.hotfixStages, [
      ['Promoted', 20],
      ['Deploying', 21],
    ]);
    const moving = trackViewOf(track, [release, hotfix, next], []);
    expect(numbersIn(moving, 'hotfix', 'production')).toEqual([{ number: 3, current: true }]);
    expect(numbersIn(moving, 'release', 'production')).toEqual([]);
  });

  it('shows a rollback in the lane of the release it rolled back', () => {
    const hotfix = releaseOf(4, 'hotfix', track.spec.hotfixStages, [
      ['Promoted', 1],
      ['Failed', 2],
    ]);
    const rollback = releaseOf(5, 'rollback', [production], [['Deploying', 3]], 4);
    const view = trackViewOf(track, [hotfix, rollback], []);
    expect(laneOf(rollback, [hotfix, rollback])).toBe('hotfix');
    expect(numbersIn(view, 'hotfix', 'production')).toEqual([{ number: 5, current: true }]);
    expect(numbersIn(view, 'release', 'production')).toEqual([]);
    // Rolled back from a release that is no longer listed: shown wherever its stage fits.
    expect(laneOf(rollback, [rollback])).toBeUndefined();
    const alone = trackViewOf(track, [rollback], []);
    expect(numbersIn(alone, 'hotfix', 'production')).toEqual([{ number: 5, current: true }]);
    expect(numbersIn(alone, 'release', 'production')).toEqual([{ number: 5, current: true }]);
  });
});
