import { describe, expect, it } from 'vitest';
import { application, diagnosticsOf } from '../test-support/manifest-text.ts';

const errorsOf = (spec: string) => diagnosticsOf(application(spec)).errors;
const warningsOf = (spec: string) => diagnosticsOf(application(spec)).warnings;

describe('application checks', () => {
  it('refuses duplicate service and job names', () => {
    expect(
      errorsOf(`
  services:
    - { name: api, image: a, ports: [{ port: 80 }] }
    - { name: api, image: b }
  jobs:
    - { name: api, image: c, command: x }
`),
    ).toEqual([
      'app.yaml:8:15 spec.services[1].name: duplicate name "api": services[0] already uses it; names of services and jobs must be unique',
      'app.yaml:10:15 spec.jobs[0].name: duplicate name "api": services[0] already uses it; names of services and jobs must be unique',
    ]);
  });

  it('refuses dependsOn naming an unknown service or job, with a suggestion', () => {
    expect(
      errorsOf(`
  services:
    - { name: api, image: a, dependsOn: [postgres] }
    - { name: postgress, image: postgres:16 }
`),
    ).toEqual(['app.yaml:7:42 spec.services[0].dependsOn[0]: depends on "postgres", which is not a service or job of this application (did you mean "postgress"?)']);
  });

  it('prints every dependency cycle', () => {
    const errors = errorsOf(`
  services:
    - { name: a, image: x, dependsOn: [b] }
    - { name: b, image: x, dependsOn: [{ name: migrate, condition: completed }] }
  jobs:
    - { name: migrate, image: x, command: m, dependsOn: [a] }
`);
    expect(errors).toEqual(['app.yaml:7:40 spec.services[0].dependsOn[0]: dependency cycle: a → b → migrate → a; remove one of these dependsOn entries']);
  });

  it('warns when a job is waited for as if it had readiness', () => {
    expect(
      warningsOf(`
  services:
    - { name: api, image: x, dependsOn: [migrate] }
  jobs:
    - { name: migrate, fromService: api, command: m }
`),
    ).toEqual(['app.yaml:7:42 spec.services[0].dependsOn[0]: "migrate" is a job, which has no readiness; write { name: migrate, condition: completed }']);
  });

  it('refuses workflow tasks naming unknown services and jobs', () => {
    const errors = errorsOf(`
  services:
    - { name: api, image: x }
  jobs:
    - { name: migrate, fromService: api, command: m }
  workflows:
    setup:
      steps:
        - tasks: [jobs.migrat, services.migrate, jobs.api]
        - tasks: [services.all, environment.remove]
`);
    expect(errors).toEqual([
      'app.yaml:13:19 spec.workflows.setup.steps[0].tasks[0]: jobs.migrat names no job of this application (did you mean "migrate"?)',
      'app.yaml:13:32 spec.workflows.setup.steps[0].tasks[1]: services.migrate names no service of this application; "migrate" is a job: jobs.migrate',
      'app.yaml:13:50 spec.workflows.setup.steps[0].tasks[2]: jobs.api names no job of this application; "api" is a service: services.api',
      'app.yaml:14:33 spec.workflows.setup.steps[1].tasks[1]: environment.remove belongs in the teardown workflow, not setup',
    ]);
  });

  it('refuses a teardown that cannot remove the environment', () => {
    const base = `
  services:
    - { name: api, image: x }
  jobs:
    - { name: backup, fromService: api, command: b }
  workflows:
    teardown:
      steps:
`;
    expect(errorsOf(`${base}        - tasks: [jobs.backup]\n`)).toEqual([
      'app.yaml:12:7 spec.workflows.teardown: the teardown workflow never removes the environment: end it with a step whose tasks are [environment.remove]',
    ]);
    expect(errorsOf(`${base}        - tasks: [environment.remove]\n        - tasks: [jobs.backup]\n`)).toEqual([
      'app.yaml:13:11 spec.workflows.teardown.steps[0]: environment.remove must be in the last step of teardown; the steps after it could not run',
    ]);
    expect(errorsOf(`${base}        - { tasks: [jobs.backup], haltOnError: true }\n        - tasks: [environment.remove]\n`)).toEqual([
      'app.yaml:13:48 spec.workflows.teardown.steps[0].haltOnError: a failing task here would stop teardown before environment.remove and leave the environment running; use haltOnError: false',
    ]);
    expect(errorsOf(`${base}        - tasks: [services.api]\n        - tasks: [environment.remove]\n`)[0]).toMatch(/a teardown task cannot start services\.api/);
    expect(errorsOf(`${base}        - tasks: [jobs.backup]\n        - tasks: [environment.remove]\n`)).toEqual([]);
  });

  it('refuses port collisions within a service and its sidecars', () => {
    const errors = errorsOf(`
  services:
    - name: api
      image: x
      ports: [{ port: 8080 }, { port: 8080, protocol: tcp }]
      sidecars:
        - { name: proxy, image: envoy, ports: [{ port: 8080 }] }
`);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/spec\.services\[0\]\.ports\[1\]\.port: port 8080 is already used by service "api"/);
    expect(errors[1]).toMatch(/spec\.services\[0\]\.sidecars\[0\]\.ports\[0\]\.port: port 8080 is already used by service "api"/);
  });

  it('refuses unknown variables in hostnames and invalid host names', () => {
    const errors = errorsOf(`
  services:
    - name: web
      image: x
      ports: [{ port: 80 }]
      hostnames: ["\${service}-\${envid}.\${domain}", "shop_\${env_id}.\${domain}"]
`);
    expect(errors).toEqual([
      'app.yaml:10:19 spec.services[0].hostnames[0]: unknown variable ${envid} in hostname "${service}-${envid}.${domain}" (did you mean "env_id"?); hostnames may use ${env_id}, ${domain} and ${service}',
      'app.yaml:10:52 spec.services[0].hostnames[1]: hostname "shop_${env_id}.${domain}" is not a valid host name: use letters, digits, "-" and "." between labels',
    ]);
  });

  it('refuses hostnames on a service without an http port', () => {
    expect(errorsOf(`\n  services:\n    - { name: db, image: postgres, ports: [{ port: 5432, protocol: tcp }], hostnames: ['db.\${domain}'] }\n`)[0]).toMatch(
      /service "db" has hostnames but no http port to route them to/,
    );
  });

  it('checks routing rules against services and ports', () => {
    const errors = errorsOf(`
  services:
    - { name: api, image: x, ports: [{ port: 8080 }] }
  routing:
    rules:
      - { hostnames: ["shop-\${env_id}.\${domain}"], path: /api, service: apii }
      - { hostnames: ["shop-\${env_id}.\${domain}"], path: /v2, service: api, port: 9090 }
      - { hostnames: ["shop-\${env_id}.\${domain}"], path: /api, service: api }
`);
    expect(errors).toEqual([
      'app.yaml:10:73 spec.routing.rules[0].service: "apii" is not a service of this application (did you mean "api"?)',
      'app.yaml:11:83 spec.routing.rules[1].port: service "api" has no port 9090; its ports: 8080',
      'app.yaml:12:23 spec.routing.rules[2].hostnames[0]: shop-${env_id}.${domain}/api is already routed by an earlier rule',
    ]);
  });

  it('checks probes against the service ports', () => {
    const errors = errorsOf(`
  services:
    - { name: api, image: x, ports: [{ port: 8080 }], readiness: { http: { path: /health, port: 9000 } } }
    - { name: worker, image: x, liveness: { tcp: {} } }
`);
    expect(errors).toEqual([
      'app.yaml:7:97 spec.services[0].readiness.http.port: service "api" has no port 9000; its ports: 8080',
      'app.yaml:8:43 spec.services[1].liveness: an tcp probe needs a port, and service "worker" has none',
    ]);
  });

  it('checks jobs, environment templates and app imports', () => {
    const errors = errorsOf(`
  services:
    - { name: api, image: x }
    - { name: site, static: { build: npm run build, output: dist } }
  jobs:
    - { name: seed, fromService: api2, command: s }
    - { name: lint, fromService: site, command: l }
  environmentTemplates:
    - { name: permanent, ttl: 24h }
    - { name: ephemeral, services: [{ name: apj, replicas: 0 }] }
  appImports:
    - { app: shop }
`);
    expect(errors).toEqual([
      'app.yaml:10:34 spec.jobs[0].fromService: "api2" is not a service of this application (did you mean "api"?)',
      'app.yaml:11:34 spec.jobs[1].fromService: "site" is a static site; a job runs in a service with image, build or run',
      'app.yaml:13:31 spec.environmentTemplates[0].ttl: ttl applies to ephemeral environments only; template "permanent" is permanent',
      'app.yaml:14:45 spec.environmentTemplates[1].services[0].name: "apj" is not a service of this application (did you mean "api"?)',
      'app.yaml:16:14 spec.appImports[0].app: an application cannot import itself',
    ]);
  });

  it('refuses services the chosen runtime cannot run', () => {
    expect(errorsOf(`\n  runtime: local\n  services:\n    - { name: db, image: postgres }\n`)[0]).toMatch(
      /service "db" has no run command or static site, and the local runtime runs processes; add run, or set spec.runtime: docker/,
    );
    expect(errorsOf(`\n  runtime: docker\n  services:\n    - { name: api, run: { command: node server.js } }\n`)[0]).toMatch(
      /service "api" has only a run command, which needs the local runtime; add image or build for docker/,
    );
  });

  it('checks mapping templates', () => {
    const { errors, warnings } = diagnosticsOf(
      application(`
  services:
    - { name: api, image: x, ports: [{ port: 80 }] }
  env:
    defaults: { DB_HOST: db }
    mapping:
      DATABASE_URL: "postgres://\${DB_HOST}/\${DB_NAME:-app}"
      API: "\${API_URL}/v1"
      BROKEN: "\${DB_HOST"
      TYPO: "\${DB_HOTS}"
`),
    );
    expect(errors).toEqual(['app.yaml:13:15 spec.env.mapping.BROKEN: unclosed "${" at character 1; close it with "}"']);
    expect(warnings).toEqual([
      'app.yaml:14:13 spec.env.mapping.TYPO: ${DB_HOTS} is not defined by this application or Slipway and has no fallback; it renders empty unless set per environment (did you mean "DB_HOST"?)',
    ]);
  });

  it('says what a service needs when it has nothing to run', () => {
    expect(errorsOf(`\n  services:\n    - { name: api, ports: [{ port: 80 }] }\n`)).toEqual([
      'app.yaml:7:7 spec.services[0]: a service needs one of image, build, run or static',
    ]);
  });
});
