import { describe, expect, it } from 'vitest';
import { toMemoryQuantity } from './quantities.ts';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('deploy', () => {
  it('maps replicas, limits and reservations', () => {
    const result = importText(`
services:
  api:
    image: api
    deploy:
      replicas: 3
      resources:
        limits:
          cpus: "0.5"
          memory: 512M
        reservations:
          cpus: 0.25
          memory: 1.5g
`);
    expect(serviceOf(result, 'api')).toMatchObject({
      replicas: 3,
      resources: { limits: { cpu: 0.5, memory: '512Mi' }, requests: { cpu: 0.25, memory: '1.5Gi' } },
    });
    expect(result.warnings).toEqual([]);
    expect(validate(result).errors).toEqual([]);
  });

  it('reads the older service-level spellings', () => {
    const result = importText(`
services:
  api:
    image: api
    scale: 2
    cpus: 1.5
    mem_limit: 1gb
    mem_reservation: 268435456
`);
    expect(serviceOf(result, 'api')).toMatchObject({ replicas: 2, resources: { limits: { cpu: 1.5, memory: '1Gi' }, requests: { memory: '268435456' } } });
  });

  it('warns about each deploy setting it cannot carry', () => {
    const result = importText(`
services:
  api:
    image: api
    deploy:
      restart_policy: { condition: on-failure }
      placement: { constraints: [node.role == manager] }
      resources:
        reservations:
          devices: [{ capabilities: [gpu] }]
`);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:6:7 services.api.deploy.restart_policy: deploy.restart_policy has no equivalent: the runtime supervises and restarts services',
      'compose.yaml:7:7 services.api.deploy.placement: deploy.placement has no equivalent: the runtime places containers',
      'compose.yaml:10:11 services.api.deploy.resources.reservations.devices: devices (such as GPUs) have no equivalent: containers get no device access',
    ]);
  });

  it('converts Compose byte sizes to binary memory quantities', () => {
    expect(['512M', '512m', '512mb', '1.5G', '2gb', '1024k', '100', '1t', 'lots'].map(toMemoryQuantity)).toEqual([
      '512Mi',
      '512Mi',
      '512Mi',
      '1.5Gi',
      '2Gi',
      '1024Ki',
      '100',
      '1Ti',
      undefined,
    ]);
  });
});
