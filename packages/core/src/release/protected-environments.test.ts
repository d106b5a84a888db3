import { describe, expect, it } from 'vitest';
import type { ReleaseTrackSpec } from '@slipway/contract';
import { guardianOf, protectedRefusal, protectionOf, protectedSecretRefusal, stageEnvironmentId, type GovernanceCatalog } from './protected-environments.ts';

const spec = (over: Partial<ReleaseTrackSpec> = {}): ReleaseTrackSpec => ({ preReleaseStages: [], releaseStages: [], hotfixStages: [], ...over });
const catalog = (over: Partial<GovernanceCatalog> = {}): GovernanceCatalog => ({
  tracks: [{ name: 'shop-track', spec: spec({ preReleaseStages: [{ environments: ['development'] }], releaseStages: [{ environments: ['staging'] }, { name: 'prod', environments: ['production'] }] }) }],
  sets: [{ name: 'shop', applications: ['shop', 'ledger'], releaseTrack: 'shop-track' }],
  admissions: [],
  ...over,
});

describe('which environments releases govern', () => {
  it('finds a stage environment of each application of a set under the id the stage gives it', () => {
    expect(guardianOf('shop-production', 'shop', catalog())).toEqual({ kind: 'track', name: 'shop-track', stage: 'prod', lane: 'release', environment: 'production' });
    expect(guardianOf('ledger-staging', 'ledger', catalog())).toMatchObject({ stage: 'staging', lane: 'release' });
    expect(guardianOf('shop-development', 'shop', catalog())).toMatchObject({ lane: 'pre-release' });
  });

  it('leaves alone other environments and applications outside the set', () => {
    expect(guardianOf('pr-42', 'shop', catalog())).toBeUndefined();
    expect(guardianOf('shop-production', 'blog', catalog())).toBeUndefined();
    expect(guardianOf('production', 'blog', catalog())).toBeUndefined();
  });

  it('governs the plain names in a set of one, and for any application while no set follows the track', () => {
    expect(guardianOf('production', 'shop', catalog({ sets: [{ name: 'shop', applications: ['shop'], releaseTrack: 'shop-track' }] }))).toMatchObject({ environment: 'production' });
    expect(guardianOf('production', 'anything', catalog({ sets: [] }))).toMatchObject({ name: 'shop-track' });
  });

  it('governs what an admission lists', () => {
    expect(guardianOf('prod-eu', 'x', catalog({ admissions: [{ name: 'from-dev', environments: ['prod-eu'] }] }))).toEqual({ kind: 'admission', name: 'from-dev', environment: 'prod-eu' });
  });

  it('keeps stage ids within 63 characters', () => {
    expect(stageEnvironmentId('production', 'a'.repeat(60), 2).length).toBeLessThanOrEqual(63);
    expect(stageEnvironmentId('staging', 'shop', 1)).toBe('staging');
  });
});

describe('what a refusal says', () => {
  it('names who governs it, the commands that change it, and break-glass', () => {
    const message = protectedRefusal('shop-production', guardianOf('shop-production', 'shop', catalog())!, 'delete', 'slipway envs delete shop-production');
    expect(message).toMatch(/^environment shop-production is protected and cannot be deleted directly: release track shop-track deploys to it \(stage prod, release lane\)/);
    expect(message).toContain('slipway releases rollback <n>');
    expect(message).toContain('slipway envs delete shop-production --break-glass "<reason>"');
    expect(protectedRefusal('prod-eu', { kind: 'admission', name: 'a', environment: 'prod-eu' }, 'deploy', 'x')).toContain('slipway managed-releases create');
    expect(protectedSecretRefusal('db', [{ envId: 'shop-production', guardian: guardianOf('shop-production', 'shop', catalog())! }], 'slipway secrets set db')).toMatch(/^secret db is read by protected environment shop-production \(release track shop-track\)/);
  });
});

describe('what the API says of a protected environment', () => {
  it('names the track, stage and lane, and the same way to change it as the refusal', () => {
    const guardian = guardianOf('shop-production', 'shop', catalog())!;
    const protection = protectionOf(guardian);
    expect(protection).toMatchObject({ kind: 'track', name: 'shop-track', stage: 'prod', lane: 'release' });
    expect(protection.change).toMatch(/^To change it, release a snapshot along the track: .*slipway releases promote <n>/);
    expect(protectedRefusal('shop-production', guardian, 'deploy', 'x')).toContain(protection.change);
    expect(protectionOf({ kind: 'admission', name: 'a', environment: 'prod-eu' })).toEqual({ kind: 'admission', name: 'a', change: 'To change it, release into it: slipway managed-releases create <snapshot> --plan <plan> from an admitted workspace.' });
  });
});
