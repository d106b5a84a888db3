import { describe, expect, it } from 'vitest';
import { importReleaseTemplate } from './index.ts';
import { importTemplate, importYaml } from './testing.ts';

const file = '.release/application_template.yaml';

describe('importReleaseTemplate: bad input', () => {
  it('reports invalid YAML with its line and column, and returns no manifest', () => {
    const result = importReleaseTemplate({ templateFile: file, templateText: 'app: demo\nservices:\n  - name: web\n    image: [nginx\n' });
    expect(result.value).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ severity: 'error', file, line: expect.any(Number), column: expect.any(Number) });
    expect(result.errors[0]!.line).toBeGreaterThanOrEqual(4);
    expect(result.errors[0]!.message).toMatch(/^YAML: /);
  });

  it('locates an alias of no anchor, with what to do', () => {
    const result = importReleaseTemplate({ templateFile: file, templateText: 'app: demo\nservices:\n  - name: web\n    image: *image\n' });
    expect(result.value).toBeUndefined();
    expect(result.errors).toEqual([
      { severity: 'error', file, line: 4, column: 12, message: 'YAML: *image names no anchor; define the anchor &image before using *image' },
    ]);
  });

  it('says what a template must be when the document is not a mapping', () => {
    const result = importReleaseTemplate({ templateFile: file, templateText: '- name: web\n  image: nginx\n' });
    expect(result.value).toBeUndefined();
    expect(result.errors).toEqual([
      expect.objectContaining({ file, line: 1, column: 1, message: expect.stringMatching(/must be a mapping of Release settings, such as .* got a list/) }),
    ]);
  });

  it('refuses an empty template', () => {
    const result = importReleaseTemplate({ templateFile: file, templateText: '# nothing yet\n' });
    expect(result.errors[0]?.message).toMatch(/application template is empty/);
  });

  it('reports an invalid variables file against that file', () => {
    const result = importReleaseTemplate({
      templateFile: file,
      templateText: 'app: demo\nservices:\n- name: web\n  image: nginx\n',
      envFile: '.release/environment_variables.yaml',
      envText: 'defaults:\n  - key: A\n    value: "unclosed\n',
    });
    expect(result.value).toBeUndefined();
    expect(result.errors[0]).toMatchObject({ file: '.release/environment_variables.yaml', line: expect.any(Number) });
  });

  it('reads an empty variables file as no variables', () => {
    const result = importReleaseTemplate({ templateFile: file, templateText: 'app: demo\nservices:\n- name: web\n  image: nginx\n', envText: '---\n' });
    expect(result.errors).toEqual([]);
    expect(result.value?.spec.env).toBeUndefined();
  });

  it('never throws on values of the wrong type, and still writes a valid manifest', () => {
    const oddities = [
      'services: 5',
      'services: [1, "two", {name: 3, image: {}}]',
      'services: [{name: web, image: nginx, ports: "80", depends_on: web, readiness_probe: [1], volumes: {a: 1}, cpu: 7x}]',
      'services: [{name: web, image: nginx}]\nworkflows: {setup: 3}\nhostnames: 7\nrules: [{service: web}]',
      'services: [{name: web, image: nginx}]\njobs: [{name: j}, 4, {name: k, from_services: nope}]\ncron_jobs: [{name: c, image: x, command: y, schedule: "every day"}]',
      'services: [{name: web, image: nginx}]\nenvironment_templates: [{name: Ephemeral, ttl: soon, services: [{name: ghost}]}]\napp_imports: [{}, other]',
      'services: [{name: "!!!"}, {name: web}]\nparameters: 3\nresources: {cpu: 1}',
    ];
    for (const body of oddities) {
      const result = importReleaseTemplate({ templateFile: file, templateText: `app: demo\n${body}\n`, envText: 'defaults: 3\nservices: [1]\nmapping: [x]\n' });
      expect(result.errors, body).toEqual([]);
      const imported = importYaml(`app: demo\n${body}\n`, 'defaults: 3\nservices: [1]\nmapping: [x]\n');
      expect(imported.loaderErrors, body).toEqual([]);
    }
  });
});

describe('importReleaseTemplate: the application', () => {
  it('is named from the name asked for, else app, else repo_name, made a DNS label', () => {
    expect(importTemplate({ services: [{ name: 'web', image: 'nginx' }] }, undefined, { name: 'My_Shop' }).value.metadata.name).toBe('my-shop');
    expect(importTemplate({ app: 'Voting App', services: [{ name: 'web', image: 'nginx' }] }).value.metadata.name).toBe('voting-app');
    const fromRepo = importYaml('repo_name: acme/Gatsby Starter\nservices: [{name: web, image: nginx}]\n');
    expect(fromRepo.value.metadata.name).toBe('gatsby-starter');
    expect(fromRepo.warnings.join('\n')).toMatch(/named "gatsby-starter", from repo_name "Gatsby Starter"/);
  });

  it('falls back to the folder holding .release/', () => {
    const result = importReleaseTemplate({ templateFile: 'repos/shop/.release/application_template.yaml', templateText: 'services: [{name: web, image: nginx}]\n' });
    expect(result.value?.metadata.name).toBe('shop');
  });

  it('is an Application on docker, with the tracking branch, and warns for cluster settings', () => {
    const imported = importTemplate({
      tracking_branch: 'develop',
      context: 'release-us-east-1',
      domain: 'apps.example.com',
      mode: 'development',
      auto_deploy: false,
      services: [{ name: 'web', image: 'nginx' }],
    });
    expect(imported.value).toMatchObject({ apiVersion: 'slipway.dev/v1', kind: 'Application', spec: { runtime: 'docker', repository: { trackingBranch: 'develop' } } });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/:\d+:1 context: context "release-us-east-1" names the Release cluster/);
    expect(warnings).toMatch(/domain: domain "apps.example.com" is the base domain/);
    expect(warnings).toMatch(/mode: mode is a deprecated Release setting/);
    expect(warnings).toMatch(/auto_deploy: false has no Slipway equivalent/);
  });

  it('warns for each feature Slipway lacks', () => {
    const imported = importTemplate({
      services: [{ name: 'web', image: 'nginx' }],
      charts: [{ name: 'redis', directory: 'charts/redis' }],
      infrastructure: [{ name: 'lambda', type: 'terraform' }],
      execution_type: 'runnable',
      development_environment: {},
      something_new: 1,
    });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/Helm charts \(redis\)/);
    expect(warnings).toMatch(/infrastructure runners \(lambda\)/);
    expect(warnings).toMatch(/execution_type "runnable"/);
    expect(warnings).toMatch(/remote development/);
    expect(warnings).toMatch(/"something_new" is not a Release template setting/);
  });

  it('adds a placeholder service to a template without services', () => {
    const imported = importTemplate({ infrastructure: [{ name: 'tf' }] });
    expect(imported.value.spec.services).toEqual([{ name: 'placeholder', image: 'registry.k8s.io/pause:3.10' }]);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('places each warning on the Release line it is about', () => {
    const imported = importReleaseTemplate({
      templateFile: file,
      templateText: 'app: demo\nservices:\n- name: web\n  image: nginx\n  node_selector:\n  - key: disk\n    value: ssd\n',
    });
    expect(imported.warnings).toEqual([
      expect.objectContaining({ file, line: 5, column: 3, path: 'services[0].node_selector', message: expect.stringMatching(/node_selector \(disk=ssd\)/) }),
    ]);
  });
});
