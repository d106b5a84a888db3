import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf, validate } from './test-helpers.ts';

describe('build', () => {
  it('reads the string and map forms, with args as a list or a map', () => {
    const result = importText(`
services:
  a:
    build: ./web/
  b:
    image: registry/b:dev
    build:
      context: backend
      dockerfile: ./Dockerfile.dev
      target: development
      args:
        - NODE_ENV=development
        - FROM_SHELL
  c:
    build:
      args:
        VERSION: 2
        DEBUG: true
`);
    expect(serviceOf(result, 'a').build).toEqual({ context: 'web' });
    expect(serviceOf(result, 'b')).toMatchObject({
      image: 'registry/b:dev',
      build: { context: 'backend', dockerfile: 'Dockerfile.dev', target: 'development', args: { NODE_ENV: 'development' } },
    });
    expect(serviceOf(result, 'c').build).toEqual({ context: '.', args: { VERSION: 2, DEBUG: true } });
    expect(messages(result.warnings)).toEqual([
      "compose.yaml:13:11 services.b.build.args[1]: build argument FROM_SHELL has no value: Compose takes it from the shell; it is left out, so the Dockerfile's default applies",
    ]);
    expect(validate(result).errors).toEqual([]);
  });

  it('warns about build options it cannot carry', () => {
    const result = importText(`
services:
  a:
    build:
      context: .
      cache_from: [a:latest]
      platforms: [linux/arm64]
`);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:6:7 services.a.build.cache_from: build.cache_from has no equivalent: the runtime manages the build cache',
      "compose.yaml:7:7 services.a.build.platforms: build.platforms has no equivalent: images are built for the runtime's platform",
    ]);
  });

  it('cannot build from a remote context, and says why the service then has nothing to run', () => {
    const result = importText(`
services:
  a:
    build: https://github.com/example/app.git
`);
    expect(messages(result.warnings)).toEqual([expect.stringContaining('services.a.build: the build context https://github.com/example/app.git is a remote repository')]);
    expect(messages(result.errors)).toEqual([
      "compose.yaml:3:3 services.a: service \"a\" has no image, and its build cannot be imported (see the build's own diagnostic)",
    ]);
  });
});
