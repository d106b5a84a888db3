// A service's install and build steps (`run.install`/`run.build` on the local runtime, a static
// site's `static.install`/`static.build` on every runtime: the router serves the output folder on
// local and docker, the kubernetes runtime packs it into an image) run on the host in the
// environment's checkout, once per checkout: a marker under
// `builds/<env key>/<sha>/` records each step that succeeded, its output goes to
// `logs/<env key>/builds/` (masked) and, line by line, to the deploy log.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, ResolvedService } from '@slipway/contract';
import { createSecretMasker, environmentKey, resolveVariables, specHash, type DriverProblem, type EnvironmentRef, type PrepareSourceRequest } from '@slipway/core';
import { problem } from './driver-problem.ts';
import { folderIn, writeMarker } from './git-source.ts';
import { followFileLines } from './output-lines.ts';
import { appendLine, argv, commandText, exitOrTimeout, spawnGroup } from './process-group.ts';
import { remove } from './state-folder.ts';

/** How a runtime runs build steps; the same for every build of its driver. */
export interface BuildSettings {
  stateDir: string;
  /** The variables a step of `service` runs with, given the service's own (resolved) ones. */
  environment(env: EnvironmentRef, service: ResolvedService, values: Record<string, string>): Record<string, string>;
  /** What to spawn for a step; argv (under /bin/sh -c for a string) by default. */
  spawnArgs?(command: Command, cwd: string, env: Record<string, string>): { argv: string[]; env: Record<string, string> };
  /** Longest step. */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL when a step that ran too long is stopped. */
  stopGraceMs: number;
  /** The end of a step's log, for the problem of a step that failed. */
  logTail(logPath: string): string;
}

/**
 * Runs the install and build steps of a service (with a `run` or a `static` section; they run in
 * that section's workdir) that have not succeeded on this checkout yet. Gives the folder the router
 * serves for a static service, or the problem: a workdir or output folder that is not in the
 * repository, a secret not given, a step that failed or ran too long.
 */
export async function buildServiceSource(
  settings: BuildSettings,
  request: Pick<PrepareSourceRequest, 'env' | 'secrets' | 'onOutput'>,
  checkedOut: { sha: string; checkout: string },
  service: ResolvedService,
): Promise<{ staticRoot?: string } | DriverProblem> {
  const { sha, checkout } = checkedOut;
  const source = service.run ?? service.static;
  if (!source) return {};
  const key = environmentKey(request.env);
  const workdir = folderIn(checkout, source.workdir);
  if (!workdir || !existsSync(workdir)) return problem('failed', `services.${service.name}: the workdir "${source.workdir}" is not a folder of the repository at ${sha.slice(0, 7)}`);
  const { values, missingSecrets } = resolveVariables(service.env, request.secrets);
  if (missingSecrets.length > 0) return problem('errored', `services.${service.name}: secrets not provided: ${missingSecrets.join(', ')}`);
  const masker = createSecretMasker(request.secrets);
  const kind = service.run ? 'run' : 'static';
  for (const step of ['install', 'build'] as const) {
    const command = source[step];
    if (!command) continue;
    const marker = join(settings.stateDir, 'builds', key, sha, `${service.name}.${kind}.${step}.${specHash({ command, workdir: source.workdir })}`);
    if (existsSync(marker)) continue;
    const logPath = join(settings.stateDir, 'logs', key, 'builds', `${sha.slice(0, 12)}-${service.name}-${step}.log`);
    remove(logPath);
    appendLine(logPath, `[slipway] services.${service.name} ${kind}.${step}: ${commandText(command)}`);
    const env = settings.environment(request.env, service, values);
    const spawned = settings.spawnArgs ? settings.spawnArgs(command, workdir, env) : { argv: argv(command), env };
    const onOutput = request.onOutput;
    const output = onOutput ? followFileLines(logPath, (line) => onOutput(masker.mask(line), service.name)) : undefined;
    const running = spawnGroup(spawned.argv, { cwd: workdir, env: spawned.env, logPath, mask: masker.forms });
    const exit = await exitOrTimeout(running, settings.timeoutMs, settings.stopGraceMs).finally(() => output?.stop());
    const what = `services.${service.name} ${kind}.${step} "${commandText(command)}"`;
    if (exit === 'timeout') return problem('failed', `${what} did not finish within ${settings.timeoutMs} ms`, masker.mask(settings.logTail(logPath)));
    if (exit.code !== 0) {
      const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      return problem('failed', `${what} ${how}`, masker.mask(settings.logTail(logPath)));
    }
    writeMarker(marker);
  }
  if (!service.static) return {};
  const root = folderIn(workdir, service.static.output);
  if (!root || !existsSync(root)) return problem('failed', `services.${service.name}: the static output folder "${service.static.output}" does not exist after the build`);
  return { staticRoot: root };
}

/** The folder a static service's build left in the checkout, when it is there. */
export function staticRootIn(checkout: string, service: ResolvedService): string | undefined {
  if (!service.static) return undefined;
  const root = folderIn(folderIn(checkout, service.static.workdir) ?? checkout, service.static.output);
  return root && existsSync(root) ? root : undefined;
}
