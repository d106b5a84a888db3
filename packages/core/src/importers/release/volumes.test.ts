import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

describe('volumes', () => {
  it('converts persistent, empty_dir and shmem volumes, and claims of shared volumes', () => {
    const imported = importTemplate({
      shared_volumes: [{ name: 'models', size: '60Gi', type: 'persistent' }, { name: 'unused', size: '1Gi' }],
      services: [
        {
          name: 'ollama',
          image: 'ollama',
          volumes: [
            { name: 'data', type: 'persistent', mount_path: '/data', size: '5Gi' },
            { name: 'scratch', type: 'empty_dir', mount_path: '/tmp/scratch' },
            { name: 'shmem', type: 'shmem', size: '16Gi', mount_path: '/dev/shm' },
            { claim: 'models', mount_path: '/root/.ollama' },
            { name: 'bucket', type: 's3', mount_path: '/s3' },
            { name: 'nowhere', type: 'persistent' },
          ],
        },
      ],
    });
    expect(imported.service('ollama').volumes).toEqual([
      { name: 'data', mountPath: '/data', size: '5Gi' },
      { name: 'scratch', mountPath: '/tmp/scratch', type: 'ephemeral' },
      { name: 'shmem', mountPath: '/dev/shm', type: 'ephemeral' },
      { name: 'models', mountPath: '/root/.ollama', size: '60Gi' },
    ]);
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/volumes\[2\]\.type: shmem is memory-backed in Release/);
    expect(warnings).toMatch(/volumes\[3\]\.claim: shared volume "models": Slipway volumes belong to one service/);
    expect(warnings).toMatch(/volumes\[4\]\.type: volume type "s3" .* has no Slipway equivalent/);
    expect(warnings).toMatch(/volumes\[5\]: a volume needs an absolute mount_path/);
    expect(warnings).toMatch(/shared_volumes\[1\]: shared volume "unused" is not claimed by any service/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('mounts configmap files of the repository as read-only repo volumes', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'otelcol',
          image: 'otel/collector',
          configmap: [{ name: 'otelcol-config-yml', mount_path: '/etc/otelcol-config.yml', repo_path: '././src/otelcollector/otelcol-config.yml' }],
        },
      ],
    });
    expect(imported.service('otelcol').volumes).toEqual([
      { name: 'otelcol-config-yml', mountPath: '/etc/otelcol-config.yml', type: 'repo', source: 'src/otelcollector/otelcol-config.yml', readOnly: true },
    ]);
    expect(imported.warnings.join('\n')).toMatch(/configmap\[0\]: configmap "otelcol-config-yml" becomes a read-only repo volume/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('warns that cloud storage is not carried over, keeping its size on persistent volumes', () => {
    const imported = importTemplate({
      services: [{ name: 'db', image: 'postgres', volumes: [{ type: 'persistent', name: 'db-data', mount_path: '/var/lib/postgresql/data' }], storage: { size: '10Gi', type: 'aws-efs' } }],
    });
    expect(imported.service('db').volumes).toEqual([{ name: 'db-data', mountPath: '/var/lib/postgresql/data', size: '10Gi' }]);
    expect(imported.warnings.join('\n')).toMatch(/services\[0\]\.storage: storage type aws-efs is Release's cloud storage class/);
  });

  it('keeps volume names and mount paths unique', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'web',
          image: 'web',
          volumes: [
            { name: 'data', mount_path: '/a' },
            { name: 'data', mount_path: '/b' },
            { name: 'other', mount_path: '/a' },
          ],
        },
      ],
    });
    expect(imported.service('web').volumes).toEqual([
      { name: 'data', mountPath: '/a' },
      { name: 'data-2', mountPath: '/b' },
    ]);
    expect(imported.loaderErrors).toEqual([]);
  });
});
