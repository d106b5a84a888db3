import { describe, expect, it } from 'vitest';
import { matchAdmission, mergeReleaseData, planSubject, policyViolations, registryOf, type NamedAdmission, type NamedPlan } from './managed-releases.ts';

const plan: NamedPlan = { name: 'shop-to-production', spec: { applicationSet: 'shop', target: 'production-ops', autoRelease: false } };
const admission = (name: string, origins: { workspace: string; applications: string[] }[], block = false): NamedAdmission => ({
  name,
  spec: {
    origins,
    workflow: { steps: [{ name: 'deploy', command: 'true', timeout: '1m' }] },
    secrets: [],
    environments: [],
    policy: { requirePassedStages: true, allowedRegistries: [], requiredLabels: [] },
    block,
  },
});

describe('matching a release to an admission', () => {
  it('finds the one admission accepting the plan’s set from its workspace', () => {
    const result = matchAdmission('default', plan, [admission('shop', [{ workspace: 'default', applications: ['shop'] }]), admission('blog', [{ workspace: 'default', applications: ['blog'] }])]);
    expect(result).toEqual({ admission: expect.objectContaining({ name: 'shop' }) });
    expect(planSubject({ name: 'p', spec: { application: 'web', target: 't', autoRelease: false } })).toEqual({ kind: 'application', name: 'web' });
  });

  it('refuses none, naming what the admissions there accept', () => {
    const none = matchAdmission('default', plan, [admission('blog', [{ workspace: 'default', applications: ['blog'] }]), admission('shop', [{ workspace: 'team-b', applications: ['shop'] }])]);
    expect(none).toEqual({
      error: 'no ReleasePlanAdmission of workspace production-ops accepts application set shop from workspace default (blog accepts blog from default; shop accepts shop from team-b); the managed environment team must admit it',
    });
    expect(matchAdmission('default', plan, [])).toEqual({ error: expect.stringMatching(/\(it has none\)/) });
  });

  it('refuses two, naming them', () => {
    const two = matchAdmission('default', plan, [admission('a', [{ workspace: 'default', applications: ['shop'] }]), admission('b', [{ workspace: 'default', applications: ['shop', 'blog'] }])]);
    expect(two).toEqual({ error: '2 ReleasePlanAdmissions of workspace production-ops accept application set shop from workspace default (a, b); exactly one must — block or narrow the others' });
  });

  it('ignores blocked admissions, and says so when only blocked ones match', () => {
    const admissions = [admission('old', [{ workspace: 'default', applications: ['shop'] }], true), admission('new', [{ workspace: 'default', applications: ['shop'] }])];
    expect(matchAdmission('default', plan, admissions)).toEqual({ admission: expect.objectContaining({ name: 'new' }) });
    expect(matchAdmission('default', plan, [admissions[0]!])).toEqual({ error: 'workspace production-ops blocks releases of application set shop from workspace default: ReleasePlanAdmission old has spec.block: true' });
  });
});

describe('release data', () => {
  it('merges admission over plan over release, key by key', () => {
    const release = { version: '1.2', notes: { short: 'fix' }, channels: ['beta'] };
    const planData = { notes: { long: 'from plan' }, channels: ['stable'], region: 'eu' };
    const admissionData = { region: 'eu-west-1', notes: { short: 'approved text' } };
    expect(mergeReleaseData(release, planData, admissionData)).toEqual({ version: '1.2', notes: { short: 'approved text', long: 'from plan' }, channels: ['stable'], region: 'eu-west-1' });
    expect(mergeReleaseData(undefined, undefined)).toEqual({});
  });
});

describe('policy checks', () => {
  const facts = { passedStages: { passed: true, detail: 'release #4 promoted through production' }, images: [{ app: 'shop', service: 'web', image: 'ghcr.io/acme/web:1.2' }], labels: { team: 'shop', tier: 'prod' } };
  const policy = { requirePassedStages: true, allowedRegistries: [] as string[], requiredLabels: [] as string[] };

  it('passes what the policy allows', () => {
    expect(policyViolations({ ...policy, allowedRegistries: ['ghcr.io'], requiredLabels: ['team', 'tier=prod'] }, facts)).toEqual([]);
    expect(policyViolations({ ...policy, allowedRegistries: ['ghcr.io/acme/'] }, facts)).toEqual([]);
  });

  it('names each rule broken and why', () => {
    const violations = policyViolations(
      { requirePassedStages: true, allowedRegistries: ['registry.acme.io'], requiredLabels: ['team', 'tier=critical', 'owner'] },
      { ...facts, passedStages: { passed: false, detail: 'no release of it was promoted through production' }, images: [...facts.images, { app: 'shop', service: 'cache', image: 'redis:7' }] },
    );
    expect(violations).toEqual([
      { rule: 'requirePassedStages', message: "the snapshot has not passed its track's stages: no release of it was promoted through production" },
      { rule: 'allowedRegistries', message: 'shop/web runs ghcr.io/acme/web:1.2 (from ghcr.io), shop/cache runs redis:7 (from docker.io); images must come from registry.acme.io' },
      { rule: 'requiredLabels', message: 'the snapshot lacks the labels tier=critical, owner (it carries team=shop, tier=prod)' },
    ]);
    expect(policyViolations({ ...policy, requirePassedStages: false }, { ...facts, passedStages: { passed: false, detail: '' } })).toEqual([]);
  });

  it('reads the registry of an image', () => {
    expect(registryOf('nginx:1.25')).toBe('docker.io');
    expect(registryOf('library/nginx')).toBe('docker.io');
    expect(registryOf('ghcr.io/acme/web:1')).toBe('ghcr.io');
    expect(registryOf('localhost:5000/web')).toBe('localhost:5000');
    expect(registryOf('localhost/web')).toBe('localhost');
  });
});
