import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

const defaults = { cpu: { limits: '1000m', requests: '100m' }, memory: { limits: '1Gi', requests: '100Mi' }, replicas: 1 };

describe('resources', () => {
  it("applies the app-level defaults to each service, field by field under the service's own", () => {
    const imported = importTemplate({
      resources: defaults,
      services: [
        { name: 'web', image: 'web' },
        { name: 'ollama', image: 'ollama', cpu: { limits: 128, requests: 2 }, memory: { limits: '64Gi' } },
        { name: 'site', static: true, build_command: 'make', build_output_directory: 'out' },
      ],
    });
    expect(imported.service('web').resources).toEqual({ requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '1000m', memory: '1Gi' } });
    expect(imported.service('ollama').resources).toEqual({ requests: { cpu: 2, memory: '100Mi' }, limits: { cpu: 128, memory: '64Gi' } });
    expect(imported.service('site').resources).toBeUndefined();
    expect(imported.service('web').replicas).toBeUndefined();
    expect(imported.loaderErrors).toEqual([]);
  });

  it('lowers a default request above the service limit to the limit', () => {
    const imported = importTemplate({ resources: defaults, services: [{ name: 'tiny', image: 'tiny', memory: { limits: '20Mi' } }] });
    expect(imported.service('tiny').resources?.requests?.memory).toBe('20Mi');
    expect(imported.warnings.join('\n')).toMatch(/services\[0\]\.memory: memory request 100Mi \(from the app-level resources\) is above the limit 20Mi/);
  });

  it('carries replicas, rewrites near-miss quantities and drops invalid ones', () => {
    const imported = importTemplate({
      resources: { ...defaults, replicas: 2, storage: { size: '10Gi' } },
      services: [
        { name: 'web', image: 'web', replicas: 3, memory: { limits: '2GB', requests: 'lots' }, cpu: { limits: '-1' } },
        { name: 'worker', image: 'worker' },
      ],
    });
    expect(imported.service('web').replicas).toBe(3);
    expect(imported.service('worker').replicas).toBe(2);
    expect(imported.service('web').resources).toEqual({ requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '1000m', memory: '2G' } });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/memory\.limits: memory "2GB" is written 2G/);
    expect(warnings).toMatch(/memory\.requests: "lots" is not a memory quantity/);
    expect(warnings).toMatch(/cpu\.limits: "-1" is not a CPU quantity/);
    expect(warnings).toMatch(/resources\.storage: resources\.storage sizes Release cloud volumes/);
    expect(imported.loaderErrors).toEqual([]);
  });
});
