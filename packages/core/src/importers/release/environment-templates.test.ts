import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

const base = {
  resources: { cpu: { limits: '1', requests: '100m' }, memory: { limits: '1Gi', requests: '100Mi' }, replicas: 1 },
  services: [
    { name: 'web', image: 'web', ports: [{ type: 'node_port', port: 80 }], memory: { limits: '2Gi' } },
    { name: 'worker', image: 'worker' },
  ],
  jobs: [{ name: 'migrate', from_services: 'web', command: 'migrate' }],
};

describe('environment templates', () => {
  it('leaves out templates that only have a name', () => {
    const imported = importTemplate({ ...base, environment_templates: [{ name: 'ephemeral' }, { name: 'permanent' }] });
    expect(imported.value.spec.environmentTemplates).toBeUndefined();
  });

  it('keeps the ttl of ephemeral environments only', () => {
    const imported = importTemplate({
      ...base,
      environment_templates: [
        { name: 'ephemeral', ttl: '72h' },
        { name: 'permanent', expiration: 7 },
      ],
    });
    expect(imported.value.spec.environmentTemplates).toEqual([{ name: 'ephemeral', ttl: '72h' }]);
    expect(imported.warnings.join('\n')).toMatch(/environment_templates\[1\]\.expiration: expiration applies to ephemeral environments only/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('converts service and job overrides, template resources and hostnames, workflows and app imports', () => {
    const imported = importTemplate({
      ...base,
      environment_templates: [
        {
          name: 'permanent',
          services: [{ name: 'web', replicas: 3, cpu: { limits: '2' }, command: ['serve', '--prod'] }, { name: 'ghost', replicas: 2 }],
          jobs: [{ name: 'migrate', completed_timeout: 600, halt_on_error: true }],
          hostnames: [{ web: 'www.${domain}' }],
          workflows: [{ name: 'patch', order_from: ['services.web'] }],
          app_imports: [{ name: 'billing', branch: 'main' }],
        },
        { name: 'Staging', resources: { memory: { limits: '512Mi', requests: '64Mi' }, replicas: 2 } },
      ],
    });
    expect(imported.value.spec.environmentTemplates).toEqual([
      {
        name: 'permanent',
        services: [
          {
            name: 'web',
            replicas: 3,
            resources: { requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '2', memory: '2Gi' } },
            command: ['serve', '--prod'],
            hostnames: ['www.${domain}'],
          },
        ],
        jobs: [{ name: 'migrate', timeout: '10m', haltOnError: true }],
        workflows: { patch: { steps: [{ tasks: ['services.web'] }] } },
        appImports: [{ app: 'billing', branch: 'main' }],
      },
      {
        name: 'staging',
        services: [
          { name: 'web', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '2Gi' } }, replicas: 2 },
          { name: 'worker', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } }, replicas: 2 },
        ],
      },
    ]);
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/environment_templates\[0\]\.services\[1\]: override of "ghost", which is not a service of this template; dropped/);
    expect(warnings).toMatch(/environment_templates\[1\]\.name: environment template "Staging" is named "staging"/);
    expect(imported.loaderErrors).toEqual([]);
  });
});
