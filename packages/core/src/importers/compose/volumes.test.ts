import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('volumes', () => {
  it('maps named volumes, relative binds, anonymous volumes and tmpfs', () => {
    const result = importText(`
services:
  app:
    image: app
    volumes:
      - db_data:/var/lib/data
      - ./src:/app/src:ro
      - .:/workspace
      - /app/node_modules
      - ./config/app.conf:/etc/app.conf:ro,z
    tmpfs:
      - /run
      - /tmp:size=64m,mode=1777
volumes:
  db_data:
`);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(serviceOf(result, 'app').volumes).toEqual([
      { name: 'db-data', mountPath: '/var/lib/data' },
      { name: 'src', mountPath: '/app/src', type: 'repo', source: 'src', readOnly: true },
      { name: 'repository', mountPath: '/workspace', type: 'repo', source: '.' },
      { name: 'app-node-modules', mountPath: '/app/node_modules', type: 'ephemeral' },
      { name: 'config-app-conf', mountPath: '/etc/app.conf', type: 'repo', source: 'config/app.conf', readOnly: true },
      { name: 'run', mountPath: '/run', type: 'ephemeral' },
      { name: 'tmp', mountPath: '/tmp', type: 'ephemeral', size: '64Mi' },
    ]);
    expect(validate(result).errors).toEqual([]);
  });

  it('reads the long syntax', () => {
    const result = importText(`
services:
  proxy:
    image: nginx
    volumes:
      - type: bind
        source: ./proxy/nginx.conf
        target: /etc/nginx/conf.d/default.conf
        read_only: true
      - type: volume
        source: cache
        target: /var/cache/nginx
      - type: volume
        target: /scratch
      - type: tmpfs
        target: /var/run
        tmpfs: { size: 1048576 }
`);
    expect(serviceOf(result, 'proxy').volumes).toEqual([
      { name: 'proxy-nginx-conf', mountPath: '/etc/nginx/conf.d/default.conf', type: 'repo', source: 'proxy/nginx.conf', readOnly: true },
      { name: 'cache', mountPath: '/var/cache/nginx' },
      { name: 'scratch', mountPath: '/scratch', type: 'ephemeral' },
      { name: 'var-run', mountPath: '/var/run', type: 'ephemeral', size: '1048576' },
    ]);
  });

  it('leaves out host paths and paths outside the repository, with a warning each', () => {
    const result = importText(`
services:
  app:
    image: app
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - ~/data:/data
      - ../shared:/shared
      - type: bind
        source: /etc/hosts
        target: /etc/hosts
`);
    expect(serviceOf(result, 'app').volumes).toBeUndefined();
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:6:9 services.app.volumes[0]: /var/run/docker.sock is a path on the host machine, which an environment cannot reach; the volume at /var/run/docker.sock is left out — put the files in the repository and mount them with a relative path, or use a named volume',
      expect.stringMatching(/^compose\.yaml:7:9 services\.app\.volumes\[1\]: ~\/data is a path on the host machine/),
      'compose.yaml:8:9 services.app.volumes[2]: ../shared is outside the folder of the Compose file, which Slipway takes as the repository; the volume at /shared is left out',
      expect.stringMatching(/^compose\.yaml:9:9 services\.app\.volumes\[3\]: \/etc\/hosts is a path on the host machine/),
    ]);
  });

  it('keeps one volume per mount path and unique names', () => {
    const result = importText(`
services:
  app:
    image: app
    volumes:
      - data:/data
      - other:/data
      - ./data:/data2
      - /data3
`);
    expect(serviceOf(result, 'app').volumes?.map((v) => v.name)).toEqual(['data', 'data-2', 'data3']);
    expect(messages(result.warnings)).toEqual(['compose.yaml:7:9 services.app.volumes[1]: a second volume is mounted at /data; it is left out']);
    expect(validate(result).errors).toEqual([]);
  });

  it('warns about external volumes and volume drivers', () => {
    const result = importText(`
services:
  db: { image: postgres, volumes: ["pgdata:/var/lib/postgresql/data"] }
volumes:
  pgdata:
    external: true
    driver: local
`);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:6:5 volumes.pgdata.external: volume pgdata is made outside Compose; Slipway makes a new persistent volume for each environment instead',
      "compose.yaml:7:5 volumes.pgdata.driver: driver has no equivalent: persistent volumes are made by the runtime's default driver",
    ]);
  });
});

describe('secrets and configs', () => {
  it('mounts file-based secrets and configs from the repository, read-only', () => {
    const result = importText(`
services:
  db:
    image: mariadb
    environment:
      MYSQL_ROOT_PASSWORD_FILE: /run/secrets/db-password
    secrets: [db-password]
    configs:
      - source: my_conf
        target: /etc/mysql/conf.d/my.cnf
  backend:
    build: backend
    secrets:
      - source: db-password
        target: password
secrets:
  db-password:
    file: db/password.txt
configs:
  my_conf:
    file: ./db/my.cnf
`);
    expect(serviceOf(result, 'db').volumes).toEqual([
      { name: 'secret-db-password', mountPath: '/run/secrets/db-password', type: 'repo', source: 'db/password.txt', readOnly: true },
      { name: 'config-my-conf', mountPath: '/etc/mysql/conf.d/my.cnf', type: 'repo', source: 'db/my.cnf', readOnly: true },
    ]);
    expect(serviceOf(result, 'backend').volumes).toEqual([
      { name: 'secret-db-password', mountPath: '/run/secrets/password', type: 'repo', source: 'db/password.txt', readOnly: true },
    ]);
    // One warning for the secret, however many services use it.
    expect(messages(result.warnings)).toEqual([expect.stringMatching(/^compose\.yaml:7:15 services\.db\.secrets\[0\]: secret "db-password" is mounted at \/run\/secrets\/db-password from db\/password\.txt/)]);
  });

  it('warns about secrets that come from a variable or outside Compose', () => {
    const result = importText(`
services:
  app:
    image: app
    secrets: [token, api_key]
secrets:
  token:
    environment: TOKEN
  api_key:
    external: true
`);
    expect(serviceOf(result, 'app').volumes).toBeUndefined();
    expect(messages(result.warnings)).toEqual([
      expect.stringContaining('services.app.secrets[0]: secret "token" comes from the variable TOKEN of the shell that runs Compose, which has no equivalent; nothing is mounted at /run/secrets/token'),
      expect.stringContaining('services.app.secrets[1]: secret "api_key" is managed outside Compose, which has no equivalent'),
    ]);
  });
});
