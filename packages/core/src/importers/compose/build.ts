import type { BuildInput } from './manifest-input.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { isHostPath, repositoryPath } from './repository-path.ts';
import { describeValue, isRecord, scalarText } from './yaml-values.ts';

/** Why each build option other than context, dockerfile, args and target is not carried over. */
const BUILD_NOTES: Record<string, string> = {
  dockerfile_inline: 'write the Dockerfile into the repository and name it with dockerfile',
  additional_contexts: 'a build receives the one context folder of the repository',
  cache_from: 'the runtime manages the build cache',
  cache_to: 'the runtime manages the build cache',
  no_cache: 'the runtime manages the build cache',
  pull: 'the runtime decides when base images are pulled',
  labels: 'Slipway labels the images it builds',
  tags: 'Slipway tags the images it builds',
  platforms: "images are built for the runtime's platform",
  secrets: 'build secrets are not passed to builds',
  ssh: 'SSH agents are not passed to builds',
  network: 'builds use the runtime\'s default network',
  extra_hosts: 'builds use the runtime\'s name resolution',
  shm_size: "builds run with the runtime's defaults",
  isolation: "builds run with the runtime's defaults",
  ulimits: "builds run with the runtime's defaults",
  privileged: 'builds are never privileged',
  entitlements: 'builds are never granted extra entitlements',
};

/**
 * `build: dir` or `build: { context, dockerfile, args, target }`. Paths are relative to the Compose
 * file, whose folder is taken as the repository root: Slipway builds from the environment's checkout.
 */
export function convertBuild(raw: unknown, path: ComposePath, reporter: Reporter): BuildInput | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw === 'string') {
    const context = contextOf(raw, path, reporter);
    return context === undefined ? undefined : { context };
  }
  if (!isRecord(raw)) {
    reporter.error(path, `expected a folder or { context, dockerfile, args, target }, got ${describeValue(raw)}`);
    return undefined;
  }
  const build: BuildInput = {};
  for (const [key, value] of Object.entries(raw)) {
    const at = [...path, key];
    if (key === 'context') {
      const context = typeof value === 'string' ? contextOf(value, at, reporter) : wrongType(at, 'a folder', value, reporter);
      if (context === undefined) return undefined;
      build.context = context;
    } else if (key === 'dockerfile') {
      const dockerfile = typeof value === 'string' ? dockerfileOf(value, at, reporter) : wrongType(at, 'a file name', value, reporter);
      if (dockerfile !== undefined) build.dockerfile = dockerfile;
    } else if (key === 'target') {
      const target = scalarText(value);
      if (target) build.target = target;
      else wrongType(at, 'a stage name', value, reporter);
    } else if (key === 'args') {
      const args = buildArgs(value, at, reporter);
      if (args && Object.keys(args).length) build.args = args;
    } else if (!key.startsWith('x-')) {
      reporter.warn(at, `build.${key} has no equivalent: ${BUILD_NOTES[key] ?? 'it is not a Compose build option Slipway knows'}`, { atKey: true });
    }
  }
  // The context is written out even when it is ".", the default: `build: {}` would read as a mistake.
  return { context: '.', ...build };
}

function contextOf(raw: string, path: ComposePath, reporter: Reporter): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || raw.startsWith('git@')) {
    reporter.warn(path, `the build context ${raw} is a remote repository; Slipway builds from the application's own repository, so this build is left out`);
    return undefined;
  }
  if (isHostPath(raw)) {
    reporter.warn(path, `the build context ${raw} is a path on the host machine; Slipway builds from the repository, so this build is left out — make the path relative to the Compose file`);
    return undefined;
  }
  const context = repositoryPath(raw);
  if (context === undefined) {
    reporter.warn(path, `the build context ${raw} is outside the folder of the Compose file, which Slipway takes as the repository; this build is left out`);
  }
  return context;
}

function dockerfileOf(raw: string, path: ComposePath, reporter: Reporter): string | undefined {
  if (raw.startsWith('/')) {
    reporter.warn(path, `the Dockerfile ${raw} is a path on the host machine; it is left out, so the context's Dockerfile is used`);
    return undefined;
  }
  return raw.replace(/^\.\//, '');
}

function buildArgs(raw: unknown, path: ComposePath, reporter: Reporter): Record<string, string | number | boolean> | undefined {
  const args: Record<string, string | number | boolean> = {};
  const noValue = (at: ComposePath, key: string) =>
    reporter.warn(at, `build argument ${key} has no value: Compose takes it from the shell; it is left out, so the Dockerfile's default applies`);
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      const text = scalarText(item);
      if (text === undefined) return void wrongType([...path, i], 'KEY=value', item, reporter);
      const equals = text.indexOf('=');
      if (equals < 0) noValue([...path, i], text);
      else args[text.slice(0, equals)] = text.slice(equals + 1);
    });
  } else if (isRecord(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      if (value === null || value === undefined) noValue([...path, key], key);
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') args[key] = value;
      else wrongType([...path, key], 'a text, number or boolean', value, reporter);
    }
  } else if (raw !== null) {
    return wrongType(path, 'a mapping of arguments or a list of KEY=value', raw, reporter);
  }
  return args;
}

function wrongType(path: ComposePath, expected: string, value: unknown, reporter: Reporter): undefined {
  reporter.error(path, `expected ${expected}, got ${describeValue(value)}`);
  return undefined;
}
