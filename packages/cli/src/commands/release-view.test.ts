import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ReleaseResponse } from '@slipway/contract';
import { releaseDetails } from './release-view.ts';

const now = new Date('2026-01-01T12:00:00Z');
const sha = '0123456789abcdef0123456789abcdef01234567';
const preRelease: ReleaseResponse = {
  id: 'r9',
  number: 9,
  kind: 'pre-release',
  track: 'shop-track',
  set: 'shop',
  snapshot: { id: 's', alias: '2026.01.01-1' },
  author: 'rita',
  state: 'Failed',
  reason: 'development: e2e failed',
  createdAt: '2026-01-01T11:59:00Z',
  updatedAt: '2026-01-01T11:59:30Z',
  stages: [],
};

describe('releases get', () => {
  it('shows a pre-release’s commit status: where it was sent, or why it was only recorded', () => {
    const sent = stripVTControlCharacters(
      releaseDetails({ ...preRelease, commitStatus: { state: 'failure', description: 'pre-release #9 failed in development: test job e2e failed', context: 'slipway/shop/pre-release', sha, repository: 'octo/shop', reportedTo: 'github', at: now.toISOString() } }, now),
    );
    expect(sent).toContain('  commit status slipway/shop/pre-release: failure — pre-release #9 failed in development: test job e2e failed; sent to github (octo/shop@0123456)');
    const recorded = stripVTControlCharacters(
      releaseDetails({ ...preRelease, commitStatus: { state: 'failure', description: 'pre-release #9 failed', context: 'slipway/shop/pre-release', sha, note: 'recorded here only: application shop names no GitHub repository', at: now.toISOString() } }, now),
    );
    expect(recorded).toContain('failure — pre-release #9 failed; recorded here (0123456) — recorded here only: application shop names no GitHub repository');
    expect(stripVTControlCharacters(releaseDetails(preRelease, now))).not.toContain('commit status');
  });
});
