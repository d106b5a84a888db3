import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

describe('services: images and builds', () => {
  it('builds from a build block, with args written as NAME=value, and drops Release\'s registry name', () => {
    const imported = importTemplate({
      repo_name: 'acme/shop',
      services: [
        { name: 'currency', image: 'acme/shop/currency', has_repo: true, build: { context: 'src/currency', dockerfile: './Dockerfile.prod', args: ['GRPC_VERSION=1.46.0', 'BAD'], target: 'runtime' } },
        { name: 'web', image: 'acme/shop/web', has_repo: true, build: { context: '.' } },
      ],
    });
    expect(imported.service('currency')).toMatchObject({ build: { context: 'src/currency', dockerfile: 'Dockerfile.prod', args: { GRPC_VERSION: '1.46.0' }, target: 'runtime' } });
    expect(imported.service('currency').image).toBeUndefined();
    expect(imported.service('web').build).toEqual({ context: '.' });
    expect(imported.warnings.join('\n')).toMatch(/build\.args\[1\]: expected a build argument as NAME=value/);
  });

  it('traces a repository image to the build that makes it: another service\'s, an app-level one, or the root Dockerfile', () => {
    const imported = importTemplate({
      repo_name: 'acme/shop',
      builds: [{ name: 'nginx', dockerfile: 'Dockerfile.release' }, { name: 'unused' }],
      services: [
        { name: 'worker', image: 'acme/shop/web', has_repo: true, build: { context: '.', dockerfile: 'docker/web' } },
        { name: 'web', image: 'acme/shop/web', has_repo: true },
        { name: 'proxy', image: 'acme/shop/nginx', has_repo: true },
        { name: 'api', image: 'acme/shop/api', has_repo: true },
        { name: 'legacy', image: 'acme/other-repo/api', has_repo: true },
        { name: 'redis', image: 'redis:7', has_repo: false },
        { name: 'mystery' },
      ],
    });
    expect(imported.service('web').build).toEqual({ dockerfile: 'docker/web' });
    expect(imported.service('proxy').build).toEqual({ dockerfile: 'Dockerfile.release' });
    expect(imported.service('api').build).toEqual({ context: '.' });
    expect(imported.service('legacy').image).toBe('acme/other-repo/api');
    expect(imported.service('redis').image).toBe('redis:7');
    expect(imported.service('mystery').build).toEqual({ context: '.' });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/services\[3\]\.image: Release built acme\/shop\/api from the repository, with no build settings/);
    expect(warnings).toMatch(/services\[4\]\.image: Release built acme\/other-repo\/api from a repository; Slipway pulls it as named/);
    expect(warnings).toMatch(/services\[6\]: "mystery" has no image and no build/);
    expect(warnings).toMatch(/builds\[1\]: build "unused" is not the image of any service/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('makes static: true a static site when it has a build command and an output folder', () => {
    const imported = importTemplate({
      services: [
        { name: 'docs', static: true, build_base: 'docs/', build_command: 'yarn build', build_output_directory: './public', build_package_install_command: 'yarn install' },
        { name: 'half', static: true, image: 'nginx', build_command: 'make' },
        { name: 'app', static: false, image: 'app' },
      ],
    });
    expect(imported.service('docs')).toEqual({ name: 'docs', static: { install: 'yarn install', build: 'yarn build', output: 'public', workdir: 'docs/' } });
    expect(imported.service('half')).toEqual({ name: 'half', image: 'nginx' });
    expect(imported.warnings.join('\n')).toMatch(/services\[1\]\.static: static: true needs build_command and build_output_directory .* "half" is run as a container instead/);
    expect(imported.loaderErrors).toEqual([]);
  });
});

describe('services: commands, containers and dependencies', () => {
  it('keeps command and args apart, as Kubernetes does', () => {
    const imported = importTemplate({
      services: [
        { name: 'vote', image: 'vote', args: ['python', 'app.py'] },
        { name: 'ollama', image: 'ollama', command: ['ollama'], args: ['serve'] },
        { name: 'sh', image: 'busybox', command: '/bin/sh -c "sleep 5"' },
      ],
    });
    expect(imported.service('vote')).toMatchObject({ args: ['python', 'app.py'] });
    expect(imported.service('vote').command).toBeUndefined();
    expect(imported.service('ollama')).toMatchObject({ command: ['ollama'], args: ['serve'] });
    expect(imported.service('sh').command).toBe('/bin/sh -c "sleep 5"');
  });

  it('converts init containers and sidecars', () => {
    const imported = importTemplate({
      services: [
        {
          name: 'web',
          image: 'acme/web',
          has_repo: true,
          ports: [{ type: 'node_port', port: 80 }],
          init: [
            { name: 'migrate', image: 'acme/web', has_repo: true, command: ['rake'], args: ['db:migrate'], envs: [{ key: 'STEP', value: 'init' }] },
            { name: 'wait_for_db', image: 'busybox', command: 'until nc -z db 5432; do sleep 1; done' },
            { name: 'empty', image: 'busybox' },
          ],
          sidecars: [
            { name: 'logger', image: 'fluent/fluent-bit', args: ['-c', '/etc/fb.conf'], ports: [{ type: 'container_port', port: 2020 }, { type: 'container_port', port: 80 }] },
            { name: 'nothing' },
          ],
        },
      ],
    });
    expect(imported.service('web').initContainers).toEqual([
      { name: 'migrate', command: ['rake', 'db:migrate'], env: { STEP: 'init' } },
      { name: 'wait-for-db', image: 'busybox', command: 'until nc -z db 5432; do sleep 1; done' },
    ]);
    expect(imported.service('web').sidecars).toEqual([{ name: 'logger', image: 'fluent/fluent-bit', args: ['-c', '/etc/fb.conf'], ports: [{ port: 2020 }] }]);
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/init\[2\]: init container "empty" has no command/);
    expect(warnings).toMatch(/sidecars\[0\]\.ports: port 80 of sidecar "logger" is already a port of "web"/);
    expect(warnings).toMatch(/sidecars\[1\]: sidecar "nothing" has neither an image of its own nor a command/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('resolves depends_on: renamed services, jobs (completed), missing names and cycles', () => {
    const imported = importTemplate({
      services: [
        { name: 'frontendApp', image: 'f', depends_on: ['apiServer', 'api', 'seed', 'frontendApp'] },
        { name: 'apiServer', image: 'a', depends_on: ['db'] },
        { name: 'db', image: 'postgres', depends_on: ['frontendApp'] },
      ],
      jobs: [{ name: 'seed', image: 'seed', command: 'seed' }],
    });
    expect(imported.service('frontend-app').dependsOn).toEqual(['api-server', { name: 'seed', condition: 'completed' }]);
    expect(imported.service('api-server').dependsOn).toEqual(['db']);
    expect(imported.service('db').dependsOn).toBeUndefined();
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/services\[0\]\.name: service "frontendApp" is named "frontend-app"/);
    expect(warnings).toMatch(/depends_on\[1\]: "api" is not a service or job of this template; dropped/);
    expect(warnings).toMatch(/depends_on\[3\]: service "frontend-app" depends on itself/);
    expect(warnings).toMatch(/services\[2\]\.depends_on\[0\]: depending on "frontend-app" closes a cycle \(frontend-app → api-server → db → frontend-app\)/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('warns for each Kubernetes-only setting', () => {
    const imported = importTemplate({
      services: [{ name: 'web', image: 'web', node_selector: [{ key: 'kubernetes.io/arch', value: 'amd64' }], service_account_name: 'web', max_replicas: 4, fancy: 1 }],
    });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/node_selector \(kubernetes\.io\/arch=amd64\) places "web" on chosen Kubernetes nodes/);
    expect(warnings).toMatch(/service_account_name is a Kubernetes service account/);
    expect(warnings).toMatch(/max_replicas is autoscaling/);
    expect(warnings).toMatch(/service field "fancy" has no Slipway equivalent/);
  });

  it('drops a service defined twice and names without letters', () => {
    const imported = importTemplate({ services: [{ name: 'web', image: 'a' }, { name: 'web', image: 'b' }, { name: '***', image: 'c' }] });
    expect(imported.value.spec.services).toEqual([{ name: 'web', image: 'a' }]);
    expect(imported.warnings.join('\n')).toMatch(/service "web" is defined twice/);
  });
});
