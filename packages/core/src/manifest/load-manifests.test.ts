import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadManifestText } from './load-manifests.ts';
import { application, diagnosticsOf } from '../test-support/manifest-text.ts';

describe('loading manifests', () => {
  it('reads every kind of slipway.dev/v1', () => {
    const text = `
apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services:
    - name: web
      image: nginx:1.25
      ports: [{ port: 80 }]
---
apiVersion: slipway.dev/v1
kind: ApplicationSet
metadata: { name: shop-set }
spec: { applications: [shop], releaseTrack: shop-track }
---
apiVersion: slipway.dev/v1
kind: ReleaseTrack
metadata: { name: shop-track }
spec:
  releaseStages:
    - environments: [staging]
      gates:
        tests: []
        soak: 30m
        approvals: { required: [{ role: qa }], expireAfter: 24h }
        windows: [{ type: deny, schedule: "0 17 * * 5", duration: 64h }]
    - environments: [production]
---
apiVersion: slipway.dev/v1
kind: Environment
metadata: { name: staging }
spec: { application: shop, branch: main, autoDeploy: true }
---
apiVersion: slipway.dev/v1
kind: ReleasePlan
metadata: { name: shop-to-prod }
spec: { applicationSet: shop-set, target: managed-prod, autoRelease: false }
---
apiVersion: slipway.dev/v1
kind: ReleasePlanAdmission
metadata: { name: accept-shop }
spec:
  origins: [{ workspace: shop-team, applications: [shop] }]
  workflow: { steps: [{ name: deploy, image: deployer:1, command: ./deploy.sh }] }
  secrets: [prod-kubeconfig]
  policy: { allowedRegistries: [registry.example.com] }
`;
    const result = loadManifestText(text, 'all.yaml');
    expect(result.errors).toEqual([]);
    expect(result.value?.map((l) => l.manifest.kind)).toEqual([
      'Application',
      'ApplicationSet',
      'ReleaseTrack',
      'Environment',
      'ReleasePlan',
      'ReleasePlanAdmission',
    ]);
    const track = result.value?.[2]?.manifest;
    expect(track?.kind === 'ReleaseTrack' && track.spec.releaseStages[0]?.gates?.approvals?.required[0]?.count).toBe(1);
  });

  it('applies defaults a user can leave out', () => {
    const result = loadManifestText(application('  services:\n    - name: web\n      image: nginx\n      ports: [{ port: 80 }]\n'), 'a.yaml');
    const app = result.value?.[0]?.manifest;
    expect(app?.kind).toBe('Application');
    if (app?.kind !== 'Application') return;
    expect(app.spec.services[0]).toMatchObject({ replicas: 1, dependsOn: [], ports: [{ port: 80, protocol: 'http' }] });
    expect(app.spec.jobs).toEqual([]);
  });

  it('reports a wrong type at its line and column with what was expected', () => {
    const { errors } = diagnosticsOf(application('  services:\n    - name: web\n      image: nginx\n      ports:\n        - port: http\n'));
    expect(errors).toEqual(['app.yaml:10:17 spec.services[0].ports[0].port: expected a number from 1 to 65535, got "http"']);
  });

  it('reports unknown keys with a suggestion', () => {
    const { errors } = diagnosticsOf(application('  services:\n    - name: web\n      imgae: nginx\n'));
    expect(errors).toContain('app.yaml:8:7 spec.services[0].imgae: unknown key "imgae" (did you mean "image"?)');
  });

  it('lists the keys it knows when nothing is close', () => {
    const { errors } = diagnosticsOf(application('  services: [{ name: web, image: x }]\n  zzzzzzzzzz: 1\n'));
    expect(errors[0]).toMatch(/spec\.zzzzzzzzzz: unknown key "zzzzzzzzzz"; expected one of: repository, (\w+, )*services, jobs/);
  });

  it('reports the five mistakes of one manifest together, each with line and column', () => {
    const text = application(`
  services:
    - name: web
      image: nginx:1.25
      ports:
        - port: http
    - name: api
      imgae: shop/api
      image: shop/api
      ports: [{ port: 8080 }]
      dependsOn: [worker, cache]
      hostnames: ["api-\${branch}.\${domain}"]
    - name: worker
      image: shop/worker
      dependsOn: [api]
`);
    const { errors } = diagnosticsOf(text);
    expect(errors).toHaveLength(5);
    expect(errors).toEqual([
      'app.yaml:10:17 spec.services[0].ports[0].port: expected a number from 1 to 65535, got "http"',
      'app.yaml:12:7 spec.services[1].imgae: unknown key "imgae" (did you mean "image"?)',
      'app.yaml:15:19 spec.services[1].dependsOn[0]: dependency cycle: api → worker → api; remove one of these dependsOn entries',
      'app.yaml:15:27 spec.services[1].dependsOn[1]: depends on "cache", which is not a service or job of this application',
      'app.yaml:16:19 spec.services[1].hostnames[0]: unknown variable ${branch} in hostname "api-${branch}.${domain}"; hostnames may use ${env_id}, ${domain} and ${service}',
    ]);
  });

  it('still runs the deeper checks on a service whose own shape is wrong', () => {
    const text = application(`
  services:
    - name: api
      image: shop/api
      replicas: two
      colour: blue
      ports: [{ port: 8080 }]
      dependsOn: [worker, cache]
      hostnames: ["api-\${branch}.\${domain}"]
    - name: worker
      image: shop/worker
      dependsOn: [api]
`);
    const { errors } = diagnosticsOf(text);
    expect(errors).toEqual([
      expect.stringMatching(/^app\.yaml:9:17 spec\.services\[0\]\.replicas: /),
      expect.stringMatching(/^app\.yaml:10:7 spec\.services\[0\]\.colour: unknown key "colour"/),
      expect.stringMatching(/^app\.yaml:12:19 spec\.services\[0\]\.dependsOn\[0\]: dependency cycle: api → worker → api/),
      expect.stringMatching(/^app\.yaml:12:27 spec\.services\[0\]\.dependsOn\[1\]: depends on "cache", which is not a service/),
      expect.stringMatching(/^app\.yaml:13:19 spec\.services\[0\]\.hostnames\[0\]: unknown variable \$\{branch\}/),
    ]);
  });

  it('names the problem with apiVersion and kind', () => {
    expect(diagnosticsOf('kind: Application\nmetadata: { name: x }\n').errors).toEqual([
      'app.yaml:1:1: missing apiVersion: expected "slipway.dev/v1" or "lowops.manifests.v1"',
    ]);
    expect(diagnosticsOf('apiVersion: slipway.dev/v2\nkind: Application\n').errors[0]).toBe(
      'app.yaml:1:13 apiVersion: unknown apiVersion "slipway.dev/v2"; expected "slipway.dev/v1" or "lowops.manifests.v1"',
    );
    expect(diagnosticsOf('apiVersion: slipway.dev/v1\nkind: Aplication\n').errors[0]).toMatch(
      /2:7 kind: unknown kind "Aplication" \(did you mean "Application"\?\)/,
    );
    expect(diagnosticsOf('apiVersion: lowops.manifests.v1\nkind: Environment\n').errors[0]).toMatch(/has no kind Environment; write it with apiVersion: slipway.dev\/v1/);
    expect(diagnosticsOf('- just\n- a list\n').errors[0]).toMatch(/expected a manifest .*, got a list/);
  });

  it('reports a missing required field', () => {
    const { errors } = diagnosticsOf('apiVersion: slipway.dev/v1\nkind: Environment\nmetadata: { name: staging }\nspec: { branch: main }\n');
    expect(errors).toEqual(['app.yaml:4:7 spec.application: missing required field: expected text']);
  });

  it('reports YAML syntax errors with their position and keeps going with other files', () => {
    const { errors } = diagnosticsOf('apiVersion: slipway.dev/v1\nkind: [Application\n');
    expect(errors[0]).toMatch(/^app\.yaml:\d+:\d+: YAML: /);
    expect(diagnosticsOf('a: 1\na: 2\n').errors[0]).toMatch(/app\.yaml:2:1: YAML: this key appears twice/);
  });

  it('follows anchors and merge keys', () => {
    const text = `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services:
    - &base
      name: api
      image: shop/api
      ports: [{ port: 8080 }]
    - <<: *base
      name: api-2
      replicas: many
`;
    const { errors } = diagnosticsOf(text);
    expect(errors).toEqual(['app.yaml:12:17 spec.services[1].replicas: expected a number, got "many"']);
  });

  it('refuses a file over 10 MB without parsing it', () => {
    const huge = `# ${'x'.repeat(10 * 1024 * 1024)}\n`;
    const started = Date.now();
    expect(diagnosticsOf(huge).errors[0]).toBe('app.yaml: file is 10.0 MB; manifests are limited to 10 MB');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses deep nesting with a clear message instead of hanging', () => {
    const deep = `apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: x }\nspec: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect(diagnosticsOf(deep).errors[0]).toMatch(/nested more than 64 levels deep/);
  });

  it('refuses alias bombs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    expect(diagnosticsOf(lines.join('\n')).errors).toEqual([
      expect.stringMatching(/^app\.yaml:5:\d+: YAML: aliases expand this document beyond 100,000 values, the limit for a file that writes \d+ values and aliases/),
    ]);
  });

  it('locates an alias of no anchor and a merge key on something other than a mapping', () => {
    const text = `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services:
    - <<: 3
      name: api
      image: *image
`;
    expect(diagnosticsOf(text).errors).toEqual([
      'app.yaml:6:11: YAML: a merge key << takes a mapping or a list of mappings, as in <<: *defaults or <<: [*defaults, *limits]; got the number 3',
      'app.yaml:8:14: YAML: *image names no anchor; define the anchor &image before using *image',
    ]);
  });

  it('warns about an empty file', () => {
    expect(diagnosticsOf('# nothing here\n').warnings).toEqual(['app.yaml: the file holds no manifest']);
  });
});

describe('lowops.manifests.v1', () => {
  it('loads corpus/lowops/releasetrack.yaml, the example of the release-process document', () => {
    const text = readFileSync(new URL('../../../../corpus/lowops/releasetrack.yaml', import.meta.url), 'utf8');
    const result = loadManifestText(text, 'releasetrack.yaml');
    expect(result.errors).toEqual([]);
    const track = result.value?.[0]?.manifest;
    expect(track?.apiVersion).toBe('lowops.manifests.v1');
    expect(track?.kind === 'ReleaseTrack' && track.spec.hotfixStages.map((s) => s.environments)).toEqual([['staging'], ['production']]);
  });

  it('accepts the ReleaseTrack of the release-process document as written', () => {
    const text = `apiVersion: lowops.manifests.v1
kind: ReleaseTrack
metadata:
  name: my-product-releasetrack
spec:
  preReleaseStages:
    - environments:
        - development
  releaseStages:
    - environments: [development]
    - environments: [staging]
    - environments: [production]
  hotfixStages:
    - environments: [staging]
    - environments: [production]
`;
    const result = loadManifestText(text, 'track.yaml');
    expect(result.errors).toEqual([]);
    const track = result.value?.[0]?.manifest;
    expect(track?.kind === 'ReleaseTrack' && track.spec.releaseStages.map((s) => s.environments[0])).toEqual(['development', 'staging', 'production']);
  });

  it('accepts a parent in metadata', () => {
    const text = `apiVersion: lowops.manifests.v1
kind: ApplicationSet
metadata: { name: shop-set, parent: my-product-releasetrack }
`;
    expect(loadManifestText(text, 'set.yaml').errors).toEqual([]);
  });
});
