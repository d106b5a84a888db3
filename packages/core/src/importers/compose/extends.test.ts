import { describe, expect, it } from 'vitest';
import { mergeService } from './merge.ts';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('Compose extends', () => {
  it('gives a service the image and fields of a base in the same file, its own fields winning', () => {
    const result = importText(`
services:
  base:
    image: node:22
    command: ["node", "server.js"]
    environment:
      LOG_LEVEL: info
      PORT: "3000"
    ports: ["3000:3000"]
  web:
    extends: base
    environment:
      - LOG_LEVEL=debug
`);
    expect(messages(result.errors)).toEqual([]);
    const web = serviceOf(result, 'web');
    expect(web.image).toBe('node:22');
    expect(web.args).toEqual(['node', 'server.js']);
    expect(web.env).toEqual({ LOG_LEVEL: 'debug', PORT: '3000' });
    expect(web.ports).toEqual([{ port: 3000 }]);
    expect(validate(result).errors).toEqual([]);
  });

  it('follows a chain of bases across files, rebasing the build context of a base in another folder', () => {
    const result = importText(
      `
services:
  api:
    extends: { service: app, file: common/services.yml }
    command: ["serve"]
`,
      {
        files: {
          'common/services.yml': `
services:
  root:
    build: ./api
    deploy: { resources: { limits: { memory: 256M } } }
  app:
    extends: root
    command: ["ignored"]
    env_file: api.env
`,
          'common/api.env': 'MODE=production\n',
        },
      },
    );
    expect(messages(result.errors)).toEqual([]);
    const api = serviceOf(result, 'api');
    expect(api.build).toMatchObject({ context: 'common/api' });
    expect(api.args).toEqual(['serve']);
    expect(api.env).toEqual({ MODE: 'production' });
    expect(api.resources).toMatchObject({ limits: { memory: '256Mi' } });
  });

  it('locates a missing base, with the services there and a near name', () => {
    const result = importText(`
services:
  base:
    image: nginx
  web:
    extends:
      service: bsae
`);
    expect(messages(result.errors)).toEqual([
      'compose.yaml:7:7 services.web.extends.service: service "web" extends "bsae", which is not a service of compose.yaml (did you mean "base"?); its services are base, web',
    ]);
  });

  it('locates a cycle, in the file that wrote it', () => {
    const result = importText(
      `
services:
  web:
    extends: { service: a, file: more.yml }
`,
      { files: { 'more.yml': 'services:\n  a:\n    extends: b\n  b:\n    extends: a\n' } },
    );
    expect(messages(result.errors)).toEqual([
      expect.stringMatching(/^more\.yml:5:5 services\.b\.extends: extends cycle: a → b → a; .*make one of them define its fields/),
    ]);
  });

  it('locates a base file that cannot be read', () => {
    const result = importText(`
services:
  web:
    extends:
      file: nope.yml
      service: base
`, { files: {} });
    expect(messages(result.errors)).toEqual([
      "compose.yaml:5:7 services.web.extends.file: extends.file nope.yml could not be read; it is read relative to compose.yaml's folder",
    ]);
  });

  it('points a diagnostic about an inherited field at the base that wrote it', () => {
    const result = importText(`
services:
  base:
    image: nginx
    privileged: true
  web:
    extends: base
`);
    expect(messages(result.warnings)).toContainEqual('compose.yaml:5:5 services.web.privileged: privileged has no equivalent: containers never run privileged');
  });
});

describe('mergeService (Compose merge rules)', () => {
  it('merges mappings, replaces commands, appends lists, and merges volumes by target and environment by key', () => {
    expect(
      mergeService(
        {
          image: 'a',
          command: ['x', 'y'],
          environment: ['A=1', 'B=2'],
          ports: ['80:80'],
          volumes: ['./a:/data', 'logs:/logs'],
          depends_on: ['db'],
          healthcheck: { test: ['CMD', 'a'], interval: '5s' },
          build: './app',
        },
        {
          command: 'z',
          environment: { B: '3' },
          ports: ['443:443', '80:80'],
          volumes: ['./b:/data'],
          depends_on: { cache: { condition: 'service_healthy' } },
          healthcheck: { test: ['CMD', 'b'] },
          build: { args: { V: '1' } },
        },
      ),
    ).toEqual({
      image: 'a',
      command: 'z',
      environment: { A: '1', B: '3' },
      ports: ['80:80', '443:443'],
      volumes: ['./b:/data', 'logs:/logs'],
      depends_on: { db: {}, cache: { condition: 'service_healthy' } },
      healthcheck: { test: ['CMD', 'b'], interval: '5s' },
      build: { context: './app', args: { V: '1' } },
    });
  });
});
