import type { ReleasePlanAdmissionManifest, ReleasePlanManifest } from '@slipway/contract';

// Releasing into a managed workspace (the trust handshake of the design documents): a ReleasePlan in
// the development workspace names what it releases and where to; a ReleasePlanAdmission in the
// managed workspace says which origins it accepts and what runs for them. A release must match
// exactly one admission that accepts it; the admission's policy is checked before its workflow runs;
// data merges with the admission's over the plan's over the release's. Pure: the server gathers
// the facts.

export interface NamedPlan {
  name: string;
  spec: ReleasePlanManifest['spec'];
}

export interface NamedAdmission {
  name: string;
  spec: ReleasePlanAdmissionManifest['spec'];
}

/** What a plan releases: an application or an application set, by name. */
export function planSubject(plan: NamedPlan): { kind: 'application' | 'application set'; name: string } {
  return plan.spec.applicationSet ? { kind: 'application set', name: plan.spec.applicationSet } : { kind: 'application', name: plan.spec.application! };
}

function accepts(admission: NamedAdmission, originWorkspace: string, subject: string): boolean {
  return admission.spec.origins.some((o) => o.workspace === originWorkspace && o.applications.includes(subject));
}

/**
 * The one admission of the target workspace that accepts a release of this plan from this origin.
 * None, several, or only blocked ones is an error that names the admissions and why.
 */
export function matchAdmission(originWorkspace: string, plan: NamedPlan, admissions: NamedAdmission[]): { admission: NamedAdmission } | { error: string } {
  const subject = planSubject(plan);
  const what = `${subject.kind} ${subject.name} from workspace ${originWorkspace}`;
  const target = plan.spec.target;
  const matching = admissions.filter((a) => accepts(a, originWorkspace, subject.name));
  const active = matching.filter((a) => !a.spec.block);
  if (active.length === 1) return { admission: active[0]! };
  if (active.length > 1) {
    return { error: `${active.length} ReleasePlanAdmissions of workspace ${target} accept ${what} (${active.map((a) => a.name).join(', ')}); exactly one must — block or narrow the others` };
  }
  if (matching.length) {
    return { error: `workspace ${target} blocks releases of ${what}: ReleasePlanAdmission ${matching.map((a) => a.name).join(', ')} has spec.block: true` };
  }
  const others = admissions.map((a) => `${a.name} accepts ${a.spec.origins.map((o) => `${o.applications.join(', ')} from ${o.workspace}`).join('; ')}`);
  return { error: `no ReleasePlanAdmission of workspace ${target} accepts ${what}${others.length ? ` (${others.join('; ')})` : ' (it has none)'}; the managed environment team must admit it` };
}

type Data = Record<string, unknown>;

function isObject(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merged key by key, later layers winning (arrays and values are replaced, not merged). */
export function mergeReleaseData(...layers: (Data | undefined)[]): Data {
  const merge = (base: Data, over: Data): Data => {
    const result: Data = { ...base };
    for (const [key, value] of Object.entries(over)) result[key] = isObject(value) && isObject(result[key]) ? merge(result[key] as Data, value) : value;
    return result;
  };
  return layers.reduce<Data>((acc, layer) => (layer ? merge(acc, layer) : acc), {});
}

/** The registry an image reference pulls from: its first path part when that names a host, else docker.io. */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

export interface PolicyFacts {
  /** A release of the snapshot passed every stage of the track (the release that did, when one did). */
  passedStages: { passed: boolean; detail: string };
  /** Every image the snapshot's applications run. */
  images: { app: string; service: string; image: string }[];
  /** Labels the snapshot carries (those of the set or application it releases). */
  labels: Record<string, string>;
}

export interface PolicyViolation {
  rule: 'requirePassedStages' | 'allowedRegistries' | 'requiredLabels';
  message: string;
}

/**
 * What the admission's policy refuses, rule by rule. A required label is `key` (present) or
 * `key=value` (present with that value); an allowed registry matches an image's registry, or a
 * prefix of the image (`ghcr.io/acme/`).
 */
export function policyViolations(policy: ReleasePlanAdmissionManifest['spec']['policy'], facts: PolicyFacts): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  if (policy.requirePassedStages && !facts.passedStages.passed) {
    violations.push({ rule: 'requirePassedStages', message: `the snapshot has not passed its track's stages: ${facts.passedStages.detail}` });
  }
  if (policy.allowedRegistries.length) {
    const allowed = (image: string) => policy.allowedRegistries.some((r) => registryOf(image) === r || image.startsWith(r.endsWith('/') ? r : `${r}/`));
    const outside = facts.images.filter((i) => !allowed(i.image));
    if (outside.length) {
      violations.push({
        rule: 'allowedRegistries',
        message: `${outside.map((i) => `${i.app}/${i.service} runs ${i.image} (from ${registryOf(i.image)})`).join(', ')}; images must come from ${policy.allowedRegistries.join(', ')}`,
      });
    }
  }
  const missing = policy.requiredLabels.filter((required) => {
    const [key, value] = required.includes('=') ? [required.slice(0, required.indexOf('=')), required.slice(required.indexOf('=') + 1)] : [required, undefined];
    return !(key in facts.labels) || (value !== undefined && facts.labels[key] !== value);
  });
  if (missing.length) {
    const have = Object.entries(facts.labels).map(([k, v]) => `${k}=${v}`);
    violations.push({ rule: 'requiredLabels', message: `the snapshot lacks the labels ${missing.join(', ')} (it carries ${have.join(', ') || 'none'})` });
  }
  return violations;
}
