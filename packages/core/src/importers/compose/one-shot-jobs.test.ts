import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('services others wait to complete', () => {
  it('become a job from the service that shares their build, with a note', () => {
    const result = importText(`
x-app: &app
  build: { context: api, dockerfile: Dockerfile }
  image: shop-api:local
  volumes: [data:/data]
services:
  migrate:
    <<: *app
    command: ["node", "migrate.mjs"]
    environment: { DATA_DIR: /data }
  api:
    <<: *app
    ports: ["3000:3000"]
    depends_on:
      migrate: { condition: service_completed_successfully }
  worker:
    <<: *app
    command: ["node", "worker.mjs"]
    depends_on: [api]
volumes:
  data: {}
`);
    expect(result.errors).toEqual([]);
    expect(result.value?.spec.services.map((s) => s.name)).toEqual(['api', 'worker']);
    expect(result.value?.spec.jobs).toEqual([{ name: 'migrate', fromService: 'api', command: ['node', 'migrate.mjs'], env: { DATA_DIR: '/data' } }]);
    expect(serviceOf(result, 'api').dependsOn).toEqual([{ name: 'migrate', condition: 'completed' }]);
    expect(messages(result.warnings)).toEqual([
      "compose.yaml:7:3 services.migrate: migrate runs to completion before api starts (condition: service_completed_successfully), so it is imported as a job, which each deploy runs in api's image (the same build), with api's variables and volumes as well as its own; its command replaces the image's entrypoint as well as its command",
    ]);
    const { errors, warnings } = validate(result);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('prefer, among services with the same build, one that waits for them, and say which volumes they lose', () => {
    const result = importText(`
services:
  tools:
    build: .
    command: ["sleep", "infinity"]
  seed:
    build: .
    entrypoint: ["/bin/seed"]
    command: ["--all"]
    volumes: [seeds:/seeds]
  app:
    build: .
    ports: ["80:80"]
    depends_on:
      seed: { condition: service_completed_successfully }
volumes:
  seeds: {}
`);
    expect(result.value?.spec.jobs).toEqual([{ name: 'seed', fromService: 'app', command: ['/bin/seed', '--all'] }]);
    expect(messages(result.warnings)).toEqual([
      "compose.yaml:6:3 services.seed: seed runs to completion before app starts (condition: service_completed_successfully), so it is imported as a job, which each deploy runs in app's image (the same build), with app's variables and volumes as well as its own; left out: its volumes seeds:/seeds, which app does not mount",
    ]);
    expect(validate(result).errors).toEqual([]);
  });

  it('become a job that runs their image when they have no build, and whatever depends on them waits for completion', () => {
    const result = importText(`
services:
  db: { image: postgres:16, healthcheck: { test: ["CMD", "pg_isready"] } }
  schema:
    image: flyway/flyway:10
    command: migrate
    depends_on: [db]
    healthcheck: { test: ["CMD", "true"] }
    volumes: [./sql:/flyway/sql:ro]
  api:
    image: api
    depends_on:
      schema: { condition: service_completed_successfully }
  report:
    image: api
    depends_on: [schema]
`);
    expect(result.errors).toEqual([]);
    expect(result.value?.spec.jobs).toEqual([{ name: 'schema', image: 'flyway/flyway:10', command: ['migrate'], dependsOn: ['db'] }]);
    expect(serviceOf(result, 'report').dependsOn).toEqual([{ name: 'schema', condition: 'completed' }]);
    expect(messages(result.warnings)).toEqual([
      "compose.yaml:4:3 services.schema: schema runs to completion before api starts (condition: service_completed_successfully), so it is imported as a job, which each deploy runs from the image flyway/flyway:10, with its own variables; its command replaces the image's entrypoint as well as its command; left out: its volumes (a job that runs an image mounts none); its healthcheck",
    ]);
    const { errors, warnings } = validate(result);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('stay services, with a warning, when a job cannot run them', () => {
    const result = importText(`
services:
  assets:
    build: ./assets
    command: ["npm", "run", "build"]
  init:
    image: busybox
  web:
    image: web
    ports: ["80:80"]
    depends_on:
      assets: { condition: service_completed_successfully }
      init: { condition: service_completed_successfully }
`);
    expect(result.errors).toEqual([]);
    expect(result.value?.spec.services.map((s) => s.name)).toEqual(['assets', 'init', 'web']);
    expect(result.value?.spec.jobs).toBeUndefined();
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:3:3 services.assets: assets runs to completion before web starts (condition: service_completed_successfully), which Slipway does with a job; but a job runs in a service\'s image (fromService) or a named image, and no service builds what assets builds, so it stays a service, which is started again whenever it exits — build it as part of a service, or give it an image',
      "compose.yaml:6:3 services.init: init runs to completion before web starts (condition: service_completed_successfully), which Slipway does with a job; but a job needs a command and init runs its image's own, so it stays a service, which is started again whenever it exits — give it a command to import it as a job",
    ]);
    expect(validate(result).errors).toEqual([]);
  });

  it('stay services when they listen on a port', () => {
    const result = importText(`
services:
  setup: { image: setup, command: run, ports: ["9000:9000"] }
  web:
    image: web
    depends_on:
      setup: { condition: service_completed_successfully }
`);
    expect(result.value?.spec.services.map((s) => s.name)).toEqual(['setup', 'web']);
    expect(result.warnings).toEqual([]);
  });
});
