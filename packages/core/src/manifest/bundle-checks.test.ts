import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '@slipway/contract';
import { validateManifestFiles } from './validate-manifest-files.ts';

const app = (name: string, extra = '') =>
  `apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: ${name} }\nspec:\n  services: [{ name: web, image: x, ports: [{ port: 80 }] }]\n${extra}`;
const check = (files: Record<string, string>) => {
  const result = validateManifestFiles(Object.entries(files).map(([file, text]) => ({ file, text })));
  return { errors: result.errors.map(formatDiagnostic), warnings: result.warnings.map(formatDiagnostic) };
};

describe('checks across a bundle of manifests', () => {
  it('refuses an ApplicationSet naming an unknown application when applications are declared', () => {
    const { errors } = check({
      'shop.yaml': app('shop'),
      'set.yaml': 'apiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: all }\nspec: { applications: [shop, shopp-admin] }\n',
    });
    expect(errors).toEqual(['set.yaml:4:30 spec.applications[1]: no Application named "shopp-admin" among shop']);
  });

  it('only warns when the bundle declares no application: they may live in other repositories', () => {
    const { errors, warnings } = check({
      'set.yaml': 'apiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: all }\nspec: { applications: [shop] }\n',
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual(['set.yaml:4:24 spec.applications[0]: Application "shop" is not declared in these files; it must exist where this is applied']);
  });

  it('refuses, located and naming the runtime, what the kubernetes runtime cannot run', () => {
    const { errors } = check({
      'app.yaml': [
        'apiVersion: slipway.dev/v1',
        'kind: Application',
        'metadata: { name: shop }',
        'spec:',
        '  runtime: kubernetes',
        '  services:',
        '    - name: web',
        '      image: shop/web:1',
        '      volumes: [{ name: src, mountPath: /src, type: repo, source: . }]',
        '',
      ].join('\n'),
    });
    expect(errors).toEqual([
      expect.stringMatching(/^app\.yaml:9:\d+ spec\.services\[0\]\.volumes\[0\]\.type: services\.web: the kubernetes runtime cannot mount a repo volume/),
    ]);
    expect(check({ 'app.yaml': app('shop', '  runtime: kubernetes\n') }).errors).toEqual([]);
    // A static site is served from an image of its output.
    const site = ['apiVersion: slipway.dev/v1', 'kind: Application', 'metadata: { name: docs }', 'spec:', '  runtime: kubernetes', '  services:', '    - name: site', '      static: { build: npm run build, output: dist }', ''];
    expect(check({ 'app.yaml': site.join('\n') }).errors).toEqual([]);
  });

  it('refuses promotion windows with a bad schedule or time zone, located', () => {
    const { errors } = check({
      'track.yaml':
        'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: t }\nspec:\n  releaseStages:\n    - environments: [staging]\n      gates:\n        windows:\n          - { type: deny, schedule: "0 25 * * *", duration: 1h }\n          - { type: allow, schedule: "0 9 * * 1-5", duration: 8h, timezone: Europe/Nowhere }\n',
    });
    expect(errors).toEqual([
      'track.yaml:9:13 spec.releaseStages[0].gates.windows[0]: "0 25 * * *": hour 25 is out of range 0-23',
      'track.yaml:10:13 spec.releaseStages[0].gates.windows[1]: unknown time zone "Europe/Nowhere"; expected an IANA name such as Europe/Berlin or UTC',
    ]);
  });

  it('refuses ReleaseTrack stages naming unknown environments', () => {
    const { errors } = check({
      'shop.yaml': app('shop'),
      'envs.yaml': 'apiVersion: slipway.dev/v1\nkind: Environment\nmetadata: { name: staging }\nspec: { application: shop }\n---\napiVersion: slipway.dev/v1\nkind: Environment\nmetadata: { name: production }\nspec: { application: shop }\n',
      'track.yaml': 'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: t }\nspec:\n  releaseStages:\n    - environments: [stagin]\n    - environments: [production, production]\n',
    });
    expect(errors).toEqual([
      'track.yaml:6:22 spec.releaseStages[0].environments[0]: no Environment named "stagin" among staging, production (did you mean "staging"?)',
      'track.yaml:7:34 spec.releaseStages[1].environments[1]: environment "production" appears twice in releaseStages; a release would deploy it twice',
    ]);
  });

  it('resolves lowops parents and checks test gates against the applications of the set', () => {
    const { errors } = check({
      'shop.yaml': app('shop', '  jobs: [{ name: e2e, fromService: web, command: npm test }]\n').replace('slipway.dev/v1', 'lowops.manifests.v1').replace('{ name: shop }', '{ name: shop, parent: product }'),
      'set.yaml': 'apiVersion: lowops.manifests.v1\nkind: ApplicationSet\nmetadata: { name: product, parent: track }\n',
      'track.yaml': 'apiVersion: lowops.manifests.v1\nkind: ReleaseTrack\nmetadata: { name: track }\nspec:\n  releaseStages:\n    - environments: [staging]\n      gates: { tests: [e2e, smoke] }\n',
    });
    expect(errors).toEqual(['track.yaml:7:29 spec.releaseStages[0].gates.tests[1]: no application of set "product" has a job "smoke"']);
  });

  it('refuses two objects of one kind with the same name, and templates the application lacks', () => {
    const { errors } = check({
      'a.yaml': app('shop'),
      'b.yaml': `${app('shop')}---\napiVersion: slipway.dev/v1\nkind: Environment\nmetadata: { name: prod }\nspec: { application: shop, template: production }\n`,
    });
    expect(errors).toEqual([
      'b.yaml:3:19 metadata.name: another Application is named "shop" (a.yaml)',
      'b.yaml:10:38 spec.template: application "shop" has no environment template "production"; it has none',
    ]);
  });

  it('checks references of release plans and app imports', () => {
    const { errors, warnings } = check({
      'a.yaml': app('shop', '  appImports: [{ app: backend }, { app: frontend }]\n'),
      'b.yaml': app('backend'),
      'plan.yaml': 'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: p }\nspec: { application: shp, target: prod-ws }\n',
    });
    expect(errors).toEqual(['plan.yaml:4:22 spec.application: no Application named "shp" among shop, backend (did you mean "shop"?)']);
    expect(warnings).toEqual(['a.yaml:6:41 spec.appImports[1].app: Application "frontend" is not declared in these files; it must exist where this is applied']);
  });
});
