import { describe, expect, it } from 'vitest';
import { judgeProtocol } from './ports.ts';
import { importTemplate } from './testing.ts';

describe('ports', () => {
  it('listens on target_port, reads quoted numbers, and warns when Release exposed another port', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'vote',
          image: 'vote',
          ports: [
            { type: 'node_port', target_port: '80', port: '5000' },
            { type: 'container_port', port: '9229' },
          ],
        },
      ],
    });
    expect(imported.service('vote').ports).toEqual([{ port: 80 }, { port: 9229 }]);
    expect(imported.warnings.join('\n')).toMatch(/services\[0\]\.ports\[0\]: Release exposed container port 80 of "vote" as port 5000; in Slipway other services reach it on 80/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('marks ports that are clearly not HTTP as tcp, by number or by image', () => {
    const imported = importTemplate({
      services: [
        { name: 'db', image: 'postgres:15', ports: [{ type: 'container_port', port: 5432 }] },
        { name: 'clickhouse', image: 'clickhouse/clickhouse-server', ports: [{ type: 'node_port', port: 8123 }, { type: 'node_port', port: 9000 }] },
        { name: 'minio', image: 'minio/minio', ports: [{ type: 'node_port', port: 9000 }] },
        { name: 'dns', image: 'coredns', ports: [{ type: 'container_port', port: 53, protocol: 'UDP' }] },
      ],
    });
    expect(imported.service('db').ports).toEqual([{ port: 5432, protocol: 'tcp' }]);
    expect(imported.service('clickhouse').ports).toEqual([{ port: 8123 }, { port: 9000, protocol: 'tcp' }]);
    expect(imported.service('minio').ports).toEqual([{ port: 9000 }]);
    expect(imported.service('dns').ports).toEqual([{ port: 53, protocol: 'udp' }]);
    expect(judgeProtocol(6379, 'redis')).toEqual({ protocol: 'tcp', reason: 'Redis' });
    expect(judgeProtocol(8080, undefined)).toEqual({ protocol: 'http' });
  });

  it('warns for load balancers, drops duplicate and impossible ports', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'web',
          image: 'nginx',
          ports: [
            { type: 'node_port', port: 80, loadbalancer: true },
            { type: 'node_port', port: '80' },
            { type: 'node_port', port: 'http' },
            { type: 'node_port', port: 70000 },
          ],
        },
      ],
    });
    expect(imported.service('web').ports).toEqual([{ port: 80 }]);
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/ports\[0\]\.loadbalancer: Slipway creates no cloud load balancer/);
    expect(warnings).toMatch(/ports\[1\]: port 80 is listed twice/);
    expect(warnings).toMatch(/ports\[2\]: port "http" is not a number from 1 to 65535/);
    expect(warnings).toMatch(/ports\[3\]: port 70000 is not a number/);
  });
});
