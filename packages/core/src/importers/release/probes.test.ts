import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

describe('probes', () => {
  it('converts exec probes with the snake_case timings Release generates', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'db',
          image: 'postgres',
          readiness_probe: {
            exec: { command: ['pg_isready', '-U', 'app'] },
            period_seconds: 10,
            timeout_seconds: 5,
            failure_threshold: 5,
            initial_delay_seconds: 0,
          },
        },
      ],
    });
    expect(imported.service('db').readiness).toEqual({ exec: { command: ['pg_isready', '-U', 'app'] }, period: '10s', timeout: '5s', failureThreshold: 5 });
    expect(imported.loaderErrors).toEqual([]);
  });

  it('converts httpGet probes with Kubernetes field names, keeping Kubernetes\' 10s period when none is given', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'api',
          image: 'api',
          ports: [{ type: 'node_port', port: 8080 }],
          readiness_probe: { httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: 'X-Probe', value: '1' }] }, initialDelaySeconds: 120, timeoutSeconds: 1 },
          liveness_probe: { httpGet: { path: '/' }, periodSeconds: 2, successThreshold: 1, failureThreshold: 6 },
        },
      ],
    });
    expect(imported.service('api').readiness).toEqual({ http: { path: '/healthz', port: 8080, headers: { 'X-Probe': '1' } }, initialDelay: '2m', period: '10s' });
    expect(imported.service('api').liveness).toEqual({ http: {}, failureThreshold: 6 });
    expect(imported.loaderErrors).toEqual([]);
  });

  it('adds the port a probe checks when the service does not list it', () => {
    const imported = importTemplate({
      services: [{ name: 'cache', image: 'redis', readiness_probe: { tcpSocket: { port: 6379 }, periodSeconds: 5 } }],
    });
    expect(imported.service('cache').ports).toEqual([{ port: 6379, protocol: 'tcp' }]);
    expect(imported.service('cache').readiness).toEqual({ tcp: { port: 6379 }, period: '5s' });
    expect(imported.warnings.join('\n')).toMatch(/readiness_probe\.tcpSocket\.port: the probe checks port 6379, which the service does not list; it is added/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('drops probes Slipway cannot run, saying why', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'web',
          image: 'nginx',
          readiness_probe: { grpc: { port: 9000 } },
          liveness_probe: { httpGet: { path: '/', port: 'http' }, exec: { command: ['true'] } },
        },
      ],
    });
    expect(imported.service('web').readiness).toBeUndefined();
    expect(imported.service('web').liveness).toBeUndefined();
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/readiness_probe: a probe needs exactly one of exec, httpGet or tcpSocket, got none; grpc probes have no Slipway equivalent/);
    expect(warnings).toMatch(/liveness_probe: a probe needs exactly one .* got exec and httpGet/);
  });

  it('probes the first port for a named probe port', () => {
    const imported = importTemplate({
      services: [{ name: 'web', image: 'nginx', ports: [{ type: 'node_port', port: 80 }], liveness_probe: { httpGet: { path: 'up', port: 'http' } } }],
    });
    expect(imported.service('web').liveness).toEqual({ http: { path: '/up' }, period: '10s' });
    expect(imported.warnings.join('\n')).toMatch(/probe port "http" is not a number; the service's first port \(80\) is probed/);
  });
});
