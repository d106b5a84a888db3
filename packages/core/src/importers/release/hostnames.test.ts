import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

const services = [
  { name: 'frontend', image: 'front', ports: [{ type: 'node_port', port: '8080', target_port: '80' }] },
  { name: 'backend', image: 'back', ports: [{ type: 'node_port', port: 3000 }] },
  { name: 'db', image: 'postgres', ports: [{ type: 'container_port', port: 5432 }] },
];

describe('hostnames', () => {
  it("keeps ${env_id} and ${domain}, puts the host below the domain, and gives unlisted services none", () => {
    const imported = importTemplate({
      app: 'shop',
      services,
      hostnames: [{ frontend: 'frontend-${env_id}-${domain}' }, { frontend: 'www-${app}-${env_id}.${domain}' }, { backend: 'api-${branch}-${env_id}.${domain}' }],
    });
    expect(imported.service('frontend').hostnames).toEqual(['frontend-${env_id}.${domain}', 'www-shop-${env_id}.${domain}']);
    expect(imported.service('backend').hostnames).toEqual(['api-${env_id}.${domain}']);
    expect(imported.service('db').hostnames).toBeUndefined();
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/hostnames\[0\]\.frontend: hostname "frontend-\$\{env_id\}-\$\{domain\}" ends in "-\$\{domain\}"; .* written "frontend-\$\{env_id\}\.\$\{domain\}"/);
    expect(warnings).toMatch(/hostnames\[2\]\.backend: .* uses \$\{branch\}, which Slipway does not render/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('writes [] for http services Release gave no hostname, and drops hostnames of unknown or non-http services', () => {
    const imported = importTemplate({ services, hostnames: [{ frontend: 'f-${env_id}.${domain}' }, { db: 'db-${env_id}.${domain}' }, { ghost: 'g.${domain}' }] });
    expect(imported.service('backend').hostnames).toEqual([]);
    expect(imported.service('db').hostnames).toBeUndefined();
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/hostnames\[1\]\.db: "db" has no http port/);
    expect(warnings).toMatch(/hostnames\[2\]\.ghost: hostname for "ghost", which is not a service of this template; dropped/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('leaves hostnames to Slipway when the template has no hostnames section', () => {
    const imported = importTemplate({ services });
    expect(imported.service('frontend').hostnames).toBeUndefined();
  });
});

describe('rules', () => {
  it('routes hostnames and paths to services, on the container port behind the service port', () => {
    const imported = importTemplate({
      services,
      hostnames: [{ frontend: 'app-${env_id}.${domain}' }],
      rules: [
        { service: 'backend', hostnames: ['app-${env_id}-${domain}'], path: '/api' },
        { service: 'frontend', hostnames: ['docs-${env_id}.${domain}'], path: 'docs', port: 8080 },
      ],
    });
    expect(imported.value.spec.routing).toEqual({
      rules: [
        { hostnames: ['app-${env_id}.${domain}'], service: 'backend', path: '/api' },
        { hostnames: ['docs-${env_id}.${domain}'], service: 'frontend', path: '/docs', port: 80 },
      ],
    });
    expect(imported.loaderErrors).toEqual([]);
  });

  it('drops rules to unknown or non-http services, and repeated routes', () => {
    const imported = importTemplate({
      services,
      rules: [
        { service: 'db', hostnames: ['db.${domain}'] },
        { service: 'ghost', hostnames: ['g.${domain}'] },
        { service: 'backend', hostnames: ['b.${domain}'], port: 9999 },
        { service: 'backend', hostnames: ['b.${domain}'] },
      ],
    });
    expect(imported.value.spec.routing).toEqual({ rules: [{ hostnames: ['b.${domain}'], service: 'backend' }] });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/rules\[0\]: rule routes to "db", which has no http port; dropped/);
    expect(warnings).toMatch(/rules\[1\]\.service: rule for "ghost"/);
    expect(warnings).toMatch(/rules\[2\]\.port: service "backend" has no port 9999/);
    expect(warnings).toMatch(/rules\[3\]\.hostnames\[0\]: b\.\$\{domain\}\/ is already routed/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('carries ingress body size and timeouts to routing', () => {
    const imported = importTemplate({ services, ingress: { proxy_body_size: '30m', proxy_read_timeout: '180', proxy_send_timeout: 60, proxy_connect_timeout: 5, affinity: 'cookie' } });
    expect(imported.value.spec.routing).toEqual({ ingress: { maxBodySize: '30M', timeout: '3m', connectTimeout: '5s' } });
    expect(imported.warnings.join('\n')).toMatch(/ingress\.affinity: ingress setting "affinity" tunes Release's nginx ingress/);
  });
});
