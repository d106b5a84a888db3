import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('ports', () => {
  it('keeps the container port of the short syntax and drops the host side', () => {
    const result = importText(`
services:
  web:
    image: nginx
    ports:
      - "8080:80"
      - "9000"
      - 3000
      - "0.0.0.0:8443:8443/tcp"
      - "[::]:9090:90"
`);
    expect(result.errors).toEqual([]);
    expect(serviceOf(result, 'web').ports).toEqual([{ port: 80 }, { port: 9000 }, { port: 3000 }, { port: 8443, protocol: 'tcp' }, { port: 90 }]);
    expect(result.warnings).toEqual([]);
  });

  it('reads udp, and judges well-known non-HTTP ports as tcp', () => {
    const result = importText(`
services:
  db:
    image: postgres
    ports: ["5432:5432", "3306", "6379:6379", "27017", "51820:51820/udp", "8080:8080/tcp"]
`);
    expect(serviceOf(result, 'db').ports).toEqual([
      { port: 5432, protocol: 'tcp' },
      { port: 3306, protocol: 'tcp' },
      { port: 6379, protocol: 'tcp' },
      { port: 27017, protocol: 'tcp' },
      { port: 51820, protocol: 'udp' },
      { port: 8080 },
    ]);
  });

  it('warns about a host address, and a loopback-only port gives no hostname', () => {
    const result = importText(`
services:
  admin:
    image: adminer
    ports:
      - "127.0.0.1:8080:8080/tcp"
`);
    expect(serviceOf(result, 'admin')).toMatchObject({ ports: [{ port: 8080 }], hostnames: [] });
    expect(messages(result.warnings)).toEqual([
      expect.stringMatching(/^compose\.yaml:6:9 services\.admin\.ports\[0\]: the port is bound to 127\.0\.0\.1, for this machine only/),
    ]);
  });

  it('reads the long syntax', () => {
    const result = importText(`
services:
  web:
    image: nginx
    ports:
      - target: 80
        published: 8080
        protocol: tcp
        mode: host
      - target: "53"
        protocol: udp
      - target: 7000
        app_protocol: http
        name: admin
      - target: 8081
        host_ip: 127.0.0.1
`);
    expect(result.errors).toEqual([]);
    expect(serviceOf(result, 'web').ports).toEqual([{ port: 80 }, { port: 53, protocol: 'udp' }, { port: 7000, name: 'admin' }, { port: 8081 }]);
    expect(messages(result.warnings)).toEqual([expect.stringContaining('services.web.ports[3].host_ip: the port is bound to 127.0.0.1')]);
  });

  it('warns about ranges and leaves them out', () => {
    const result = importText(`
services:
  web:
    image: nginx
    ports:
      - "80:80"
      - "3000-3005:3000-3005"
`);
    expect(serviceOf(result, 'web').ports).toEqual([{ port: 80 }]);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:7:9 services.web.ports[1]: "3000-3005:3000-3005" is a port range; Slipway lists ports one by one, so it is left out — add the ports the service listens on',
    ]);
  });

  it('lists a port given for both tcp and udp once, and says so', () => {
    const result = importText(`
services:
  dns:
    image: pihole/pihole
    ports: ["53:53/udp", "53:53/tcp", "8080:80", "8081:80"]
`);
    expect(serviceOf(result, 'dns').ports).toEqual([{ port: 53, protocol: 'tcp' }, { port: 80 }]);
    expect(messages(result.warnings)).toEqual([expect.stringContaining('services.dns.ports[1]: port 53 is listed for both tcp and udp')]);
    expect(validate(result).errors).toEqual([]);
  });

  it('turns expose into ports, and a service with only exposed http ports gets no hostname', () => {
    const result = importText(`
services:
  api:
    image: api
    expose: ["3000", 9229]
  db:
    image: mysql
    expose: [3306]
`);
    expect(serviceOf(result, 'api')).toMatchObject({ ports: [{ port: 3000 }, { port: 9229 }], hostnames: [] });
    expect(serviceOf(result, 'db')).toEqual({ name: 'db', image: 'mysql', ports: [{ port: 3306, protocol: 'tcp' }] });
    expect(validate(result).errors).toEqual([]);
  });

  it('two services may use the same container port', () => {
    const result = importText(`
services:
  a: { build: a, ports: ["81:5000"] }
  b: { build: b, ports: ["82:5000"] }
`);
    expect(validate(result).errors).toEqual([]);
  });

  it('reports a port that is not a number with its line and column', () => {
    const result = importText(`
services:
  web:
    image: nginx
    ports:
      - "8080:http"
`);
    expect(result.value).toBeUndefined();
    expect(messages(result.errors)).toEqual(['compose.yaml:6:9 services.web.ports[0]: "8080:http" is not a port: expected a number from 1 to 65535']);
  });
});
