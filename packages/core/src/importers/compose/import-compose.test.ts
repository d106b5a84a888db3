import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importCompose } from './index.ts';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('importCompose', () => {
  it('produces an Application for the docker runtime, in the shape a person writes', () => {
    const result = importText(`
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
`);
    expect(result).toEqual({
      value: {
        apiVersion: 'slipway.dev/v1',
        kind: 'Application',
        metadata: { name: 'app', description: 'Imported from the Docker Compose file compose.yaml' },
        spec: { runtime: 'docker', services: [{ name: 'web', image: 'nginx:1.27', ports: [{ port: 80 }] }] },
      },
      errors: [],
      warnings: [],
    });
    const { text, errors } = validate(result);
    expect(errors).toEqual([]);
    expect(parse(text)).toStrictEqual(result.value);
  });

  it('follows YAML anchors and merge keys, and ignores x- extension fields silently', () => {
    const result = importText(`
x-common: &common
  restart: always
  environment: &env
    LOG_LEVEL: info
  deploy:
    resources:
      limits: { memory: 256M }

x-healthcheck: &health
  test: ["CMD", "true"]
  interval: 5s

services:
  api:
    <<: *common
    image: api
    x-owner: team-a
    healthcheck: *health
  worker:
    <<: *common
    image: worker
    environment:
      <<: *env
      QUEUE: jobs
`);
    expect(result.errors).toEqual([]);
    expect(serviceOf(result, 'api')).toEqual({
      name: 'api',
      image: 'api',
      env: { LOG_LEVEL: 'info' },
      readiness: { exec: { command: ['true'] }, period: '5s' },
      resources: { limits: { memory: '256Mi' } },
    });
    expect(serviceOf(result, 'worker').env).toEqual({ LOG_LEVEL: 'info', QUEUE: 'jobs' });
    // A field merged in from x-common is reported for each service that receives it. (Its line should be
    // where it is written, 3; positionOf in yaml-file.ts does not follow merge keys of yaml 2.9 yet, whose
    // key is a Symbol, so the line is the service's until that is fixed.)
    expect(result.warnings.map((w) => [w.path, w.message])).toEqual([
      ['services.api.restart', 'restart has no equivalent: the runtime supervises services and decides how they are restarted'],
      ['services.worker.restart', 'restart has no equivalent: the runtime supervises services and decides how they are restarted'],
    ]);
    expect(result.warnings.map((w) => w.line)).toEqual([expect.toBeOneOf([3, 16]), expect.toBeOneOf([3, 21])]);
    expect(validate(result).errors).toEqual([]);
  });

  it('warns about each field without an equivalent, at its line and column', () => {
    const result = importText(`
services:
  web:
    image: web
    container_name: my-web
    restart: unless-stopped
    privileged: true
    cap_add: [NET_ADMIN]
    network_mode: host
    labels:
      traefik.enable: "true"
    networks: [front]
    hostname: www
    user: "1000"
    colour: blue
networks:
  front:
`);
    expect(result.errors).toEqual([]);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:5:5 services.web.container_name: container_name has no equivalent: other services reach this one by its service name "web", not "my-web"',
      'compose.yaml:6:5 services.web.restart: restart has no equivalent: the runtime supervises services and decides how they are restarted',
      'compose.yaml:7:5 services.web.privileged: privileged has no equivalent: containers never run privileged',
      'compose.yaml:8:5 services.web.cap_add: cap_add has no equivalent: containers get no extra kernel capabilities',
      "compose.yaml:9:5 services.web.network_mode: network_mode has no equivalent: services run on the environment's network",
      'compose.yaml:10:5 services.web.labels: labels has no equivalent: Slipway labels the containers it creates; routing is set with hostnames and spec.routing, not proxy labels',
      'compose.yaml:12:5 services.web.networks: networks has no equivalent: each environment has one network, on which every service reaches the others by name',
      'compose.yaml:13:5 services.web.hostname: hostname has no equivalent: other services reach this one by its service name "web"',
      "compose.yaml:14:5 services.web.user: user has no equivalent: the container runs as the image's USER; set it in the Dockerfile",
      'compose.yaml:15:5 services.web.colour: colour is not a Compose service key; it is ignored',
    ]);
  });

  it('warns about profiles, and still imports those services', () => {
    const result = importText(`
services:
  web: { image: web }
  debug:
    image: busybox
    profiles: [debug, tools]
`);
    expect(result.value?.spec.services.map((s) => s.name)).toEqual(['web', 'debug']);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:6:5 services.debug.profiles: profiles have no equivalent: Compose starts this service only when profile debug or tools is enabled, but it is imported and runs in every environment; remove it from the manifest if it should not',
    ]);
  });

  it('warns about top-level keys without an equivalent that no service uses', () => {
    const result = importText(`
version: "3.8"
services:
  web: { image: web }
networks:
  default:
    driver: bridge
include: [other.yaml]
`);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:5:1 networks: networks has no equivalent: each environment has one network, on which every service reaches the others by name',
      'compose.yaml:8:1 include: include has no equivalent: included files are not followed; import them separately, or merge them into this file',
    ]);
  });

  it('names the application from input, then name:, then the file or its folder', () => {
    const text = 'services:\n  web: { image: web }\n';
    expect(importCompose({ file: 'x.yaml', text, name: 'Shop' }).value?.metadata.name).toBe('shop');
    expect(importCompose({ file: 'x.yaml', text: `name: My_Shop\n${text}` }).value?.metadata.name).toBe('my-shop');
    expect(importCompose({ file: 'deploy/shop.yml', text }).value?.metadata.name).toBe('shop');
    expect(importCompose({ file: '/home/me/Web Store/docker-compose.yml', text }).value?.metadata.name).toBe('web-store');
    expect(importCompose({ file: 'compose.yaml', text }).value?.metadata.name).toBe('app');
  });

  it('reports invalid YAML with its line and column', () => {
    const result = importText('services:\n  web:\n    image: [nginx\n');
    expect(result.value).toBeUndefined();
    expect(result.errors[0]).toMatchObject({ severity: 'error', file: 'compose.yaml', line: expect.any(Number), column: expect.any(Number) });
    expect(result.errors[0]!.message).toMatch(/^YAML: /);
  });

  it('refuses a service with neither image nor build, clearly', () => {
    const result = importText(`
services:
  web:
    ports: ["80:80"]
  empty:
`);
    expect(result.value).toBeUndefined();
    expect(messages(result.errors)).toEqual([
      'compose.yaml:3:3 services.web: service "web" has neither image nor build: Slipway needs an image to run, or a build to make one',
      'compose.yaml:5:3 services.empty: service "empty" is empty: expected a mapping with image or build',
    ]);
  });

  it('refuses files that are not Compose files', () => {
    expect(messages(importText('').errors)).toEqual(['compose.yaml: the file is empty: expected a Compose file with services']);
    expect(messages(importText('- a\n- b\n').errors)).toEqual(['compose.yaml:1:1: expected a Compose file (a mapping with services), got a list']);
    expect(messages(importText('volumes: {}\n').errors)).toEqual(['compose.yaml:1:1: the file has no services: a Compose file lists them under services:']);
    expect(messages(importText('services: []\n').errors)).toEqual(['compose.yaml:1:1 services: expected a mapping of services, got a list']);
    expect(messages(importText('services: {}\n').errors)).toEqual(['compose.yaml:1:1 services: the file has no services: a Compose file lists them under services:']);
  });

  it('imports only the first of several documents, and says so', () => {
    const result = importText('services:\n  a: { image: a }\n---\nservices:\n  b: { image: b }\n');
    expect(result.value?.spec.services.map((s) => s.name)).toEqual(['a']);
    expect(messages(result.warnings)).toEqual(['compose.yaml:4:1: the file holds several YAML documents; only the first is imported']);
  });

  it('makes service names DNS labels, unique', () => {
    const result = importText(`
services:
  Web_App: { image: a }
  web-app: { image: b }
`);
    expect(result.value?.spec.services.map((s) => s.name)).toEqual(['web-app-2', 'web-app']);
    expect(validate(result).errors).toEqual([]);
  });

  it('turns a file using most of Compose into a manifest the loader accepts', () => {
    const result = importText(
      `
name: Kitchen_Sink
x-env: &env
  LOG_LEVEL: \${LOG_LEVEL:-info}
services:
  web:
    build: { context: ./web, args: [API=/api] }
    command: npm start
    ports: ["127.0.0.1:3000:3000", { target: 9229 }]
    environment: { <<: *env, API_URL: "http://api:8080" }
    env_file: [web.env]
    depends_on: { api: { condition: service_healthy } }
    volumes: ["./web/src:/app/src:ro", /app/node_modules]
    profiles: [dev]
  api:
    image: registry/api:\${TAG:-1.0}
    entrypoint: ["/bin/api"]
    command: --listen :8080
    expose: [8080]
    environment: { <<: *env, DATABASE_URL: "postgres://db/\${DB_NAME}" }
    healthcheck: { test: "wget -qO- localhost:8080/health", interval: 5s, start_period: 20s }
    depends_on: [db, migrate]
    deploy: { replicas: 2, resources: { limits: { cpus: "1", memory: 1G } } }
    secrets: [api_key]
  migrate:
    image: registry/api:1.0
    command: ["migrate"]
    depends_on: { db: { condition: service_healthy } }
  db:
    image: postgres:16
    environment: [POSTGRES_PASSWORD]
    healthcheck: { test: ["CMD", "pg_isready"], interval: 2s, retries: 10 }
    volumes: [pgdata:/var/lib/postgresql/data]
    tmpfs: /run/postgresql
volumes:
  pgdata: {}
secrets:
  api_key: { file: ./secrets/api_key }
`,
      { name: undefined, files: { 'web.env': 'NODE_ENV=development\n', '.env': 'DB_NAME=shop\n' } },
    );
    expect(result.errors).toEqual([]);
    expect(result.value?.metadata.name).toBe('kitchen-sink');
    expect(result.value?.spec.env).toEqual({
      // LOG_LEVEL=\${LOG_LEVEL:-info} passes a variable through, with a default.
      defaults: { LOG_LEVEL: 'info', POSTGRES_PASSWORD: '', DB_NAME: 'shop' },
      mapping: { DATABASE_URL: 'postgres://db/${DB_NAME}' },
    });
    expect(serviceOf(result, 'api')).toMatchObject({ image: 'registry/api:1.0', command: ['/bin/api'], args: ['--listen', ':8080'], hostnames: [] });
    const { errors, text } = validate(result);
    expect(errors).toEqual([]);
    expect(parse(text)).toStrictEqual(result.value);
  });

  it('never throws on strange input', () => {
    const inputs = [
      'services:\n  web: 3\n',
      'services:\n  web: { image: 5, build: [], ports: 80, environment: 3, volumes: {}, depends_on: 7, healthcheck: [], deploy: [] }\n',
      'services:\n  web: { image: a, ports: [{}], volumes: [{}], env_file: [{}], secrets: [x], tmpfs: [relative] }\n',
      'services:\n  web: { image: a, command: {}, entrypoint: [[]], expose: [{}], deploy: { replicas: -1, resources: 3 } }\n',
      'a: &a [*a]\n',
    ];
    for (const text of inputs) {
      expect(() => importText(text)).not.toThrow();
      expect(importText(text).errors.length).toBeGreaterThan(0);
    }
  });
});
