import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('environment and env_file', () => {
  it('reads the list and map forms', () => {
    const result = importText(`
services:
  a:
    image: a
    environment:
      - MODE=production
      - EMPTY=
      - EQUALS=a=b
  b:
    image: b
    environment:
      PORT: 8000
      DEBUG: false
      NAME: "b"
`);
    expect(serviceOf(result, 'a').env).toEqual({ MODE: 'production', EMPTY: '', EQUALS: 'a=b' });
    expect(serviceOf(result, 'b').env).toEqual({ PORT: 8000, DEBUG: false, NAME: 'b' });
    expect(result.warnings).toEqual([]);
  });

  it('reads env_file through readFile; environment wins over it, and later files over earlier ones', () => {
    const result = importText(
      `
services:
  web:
    image: web
    env_file:
      - common.env
      - path: ./web.env
        required: true
      - path: optional.env
        required: false
    environment:
      LEVEL: from-compose
`,
      {
        files: {
          'common.env': '# shared\nLEVEL=common\nexport REGION=eu\nQUOTED="a b # not a comment"\nLITERAL=\'$HOME\'\n',
          './web.env': 'REGION=us # the web region\nMULTI="line 1\nline 2"\n',
        },
      },
    );
    expect(result.errors).toEqual([]);
    expect(serviceOf(result, 'web').env).toEqual({
      LEVEL: 'from-compose',
      REGION: 'us',
      QUOTED: 'a b # not a comment',
      LITERAL: '$HOME',
      MULTI: 'line 1\nline 2',
    });
    expect(result.warnings).toEqual([]);
  });

  it('warns when an env_file cannot be read, or there is no reader', () => {
    const text = `
services:
  web:
    image: web
    env_file: missing.env
`;
    expect(messages(importText(text, { files: {} }).warnings)).toEqual([
      'compose.yaml:5:15 services.web.env_file: env_file missing.env could not be read; its variables are not imported',
    ]);
    expect(messages(importText(text).warnings)).toEqual([
      'compose.yaml:5:15 services.web.env_file: env_file missing.env was not read (the importer was given no way to read files); its variables are not imported',
    ]);
  });

  it('keeps dotted variable names, which programs such as Elasticsearch read', () => {
    const result = importText(`
services:
  es:
    image: elasticsearch
    environment:
      discovery.type: single-node
      ES_JAVA_OPTS: -Xmx512m
`);
    expect(serviceOf(result, 'es').env).toEqual({ 'discovery.type': 'single-node', ES_JAVA_OPTS: '-Xmx512m' });
    expect(result.warnings).toEqual([]);
  });

  it('leaves out variable names Slipway cannot carry, with a warning', () => {
    const result = importText(`
services:
  app:
    image: app
    environment:
      "1BAD": x
      GOOD: y
`);
    expect(serviceOf(result, 'app').env).toEqual({ GOOD: 'y' });
    expect(messages(result.warnings)).toEqual([expect.stringMatching(/services\.app\.environment\["1BAD"\]: variable "1BAD" is left out/)]);
  });
});

describe('${VAR} interpolation', () => {
  it('turns a variable every service sets alike into a mapping, and declares its input in defaults', () => {
    const result = importText(`
services:
  a:
    image: a
    environment:
      - TZ=\${TIMEZONE}
      - URL=http://\${HOST:-localhost}:$PORT/
  b:
    image: b
    environment:
      TZ: \${TIMEZONE}
`);
    expect(result.errors).toEqual([]);
    expect(result.value?.spec.env).toEqual({
      defaults: { TIMEZONE: '', PORT: '' },
      mapping: { TZ: '${TIMEZONE}', URL: 'http://${HOST:-localhost}:${PORT}/' },
    });
    expect(serviceOf(result, 'a').env).toBeUndefined();
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:6:9 services.a.environment[0]: ${TIMEZONE} has no value in the Compose file (Compose reads it from the shell or .env); it is declared as "" in spec.env.defaults — give it a value there or per environment',
      'compose.yaml:7:9 services.a.environment[1]: ${PORT} has no value in the Compose file (Compose reads it from the shell or .env); it is declared as "" in spec.env.defaults — give it a value there or per environment',
    ]);
    expect(validate(result)).toMatchObject({ errors: [], warnings: [] });
  });

  it('turns a pass-through (KEY or KEY=${KEY}) into a default, with the value from .env when there is one', () => {
    const result = importText(
      `
services:
  db:
    image: postgres
    environment:
      - POSTGRES_USER=\${POSTGRES_USER}
      - POSTGRES_DB
      - LANG=\${LANG:-C.UTF-8}
`,
      { files: { '.env': 'POSTGRES_USER=admin\n' } },
    );
    expect(result.value?.spec.env).toEqual({ defaults: { POSTGRES_USER: 'admin', POSTGRES_DB: '', LANG: 'C.UTF-8' } });
    expect(messages(result.warnings)).toEqual([
      expect.stringMatching(/^compose\.yaml:6:9 services\.db\.environment\[0\]: POSTGRES_USER is copied from \.env into spec\.env\.defaults; move any secret among them to a workspace secret/),
      'compose.yaml:7:9 services.db.environment[1]: POSTGRES_DB is passed through from the shell by Compose; it is declared as "" in spec.env.defaults, which every service receives — give it a value there or per environment',
    ]);
  });

  it('fills a variable now, as Compose would, when services set it differently', () => {
    const result = importText(`
services:
  a: { image: a, environment: { URL: "\${A_URL:-http://a}" } }
  b: { image: b, environment: { URL: "http://b" } }
`);
    expect(serviceOf(result, 'a').env).toEqual({ URL: 'http://a' });
    expect(serviceOf(result, 'b').env).toEqual({ URL: 'http://b' });
    expect(result.value?.spec.env).toBeUndefined();
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:3:38 services.a.environment.URL: services a, b set URL differently, and a mapping in spec.env.mapping would apply to all of them; URL is filled now, as Compose would with A_URL unset: "http://a"',
    ]);
  });

  it('reads $$ as a literal dollar', () => {
    const result = importText(`
services:
  web:
    image: web
    environment:
      PRICE: "5$$"
    command: echo $$HOME
`);
    expect(serviceOf(result, 'web')).toMatchObject({ env: { PRICE: '5$' }, args: ['echo', '$HOME'] });
  });

  it('fills other fields from .env or defaults, and warns about unset ones once', () => {
    const result = importText(
      `
services:
  web:
    image: "registry/web:\${TAG:-latest}"
    ports: ["\${WEB_PORT}:\${INNER}"]
    command: ["--port", "\${INNER}"]
`,
      { files: { '.env': 'INNER=8080' } },
    );
    expect(serviceOf(result, 'web')).toMatchObject({ image: 'registry/web:latest', ports: [{ port: 8080 }], args: ['--port', '8080'] });
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:5:13 services.web.ports[0]: ${WEB_PORT} is not set; it is replaced by an empty string, as Compose does — give it a value with `slipway import --env-file <file>`, a line WEB_PORT=… in .env, or an environment variable WEB_PORT of the shell that runs slipway import',
    ]);
  });
});

describe('${VAR} in fields that are not imported', () => {
  it('is not reported', () => {
    const result = importText(`
services:
  web:
    image: web
    labels: ["traefik.http.routers.web.rule=Host(\`\${DOMAIN}\`)"]
    container_name: \${NAME}
x-extra: \${WHATEVER}
`);
    expect(result.warnings.map((w) => w.message).filter((m) => m.includes('is not set'))).toEqual([]);
  });
});
