// A static site's install and build commands, run on the server's machine in the environment's
// checkout (as the local runtime runs them), once per checkout and command: a marker under the
// driver's state folder says a step is done. The docker runtime has the router serve the output
// folder; the kubernetes runtime packs it into an image.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, ResolvedService } from '@slipway/contract';
import { createSecretMasker, environmentKey, resolveVariables, specHash, type DriverProblem, type PrepareSourceRequest } from '@slipway/core';
import { lastLines } from '../docker/log-lines.ts';
import { problem } from './driver-problem.ts';
import { folderIn, writeMarker } from './git-source.ts';
import { followFileLines } from './output-lines.ts';
import { appendLine, argv, spawnGroup, stopGroup } from './process-group.ts';
import { remove } from './state-folder.ts';

export function commandText(command: Command): string {
  return typeof command === 'string' ? command : command.join(' ');
}

export interface StaticBuildPlace {
  /** The driver's state folder: markers under builds/, logs under logs/. */
  stateDir: string;
  /** The environment's checkout of the commit. */
  checkout: string;
  /** Longest step. */
  timeoutMs: number;
}

/** Runs the site's install and build steps that have not run on this checkout; a failing one is `failed` with its log tail. */
export async function buildStaticSite(request: PrepareSourceRequest, sha: string, service: ResolvedService, place: StaticBuildPlace): Promise<DriverProblem | undefined> {
  const spec = service.static!;
  const key = environmentKey(request.env);
  const workdir = folderIn(place.checkout, spec.workdir);
  if (!workdir || !existsSync(workdir)) return problem('failed', `services.${service.name}: the workdir "${spec.workdir}" is not a folder of the repository at ${sha.slice(0, 7)}`);
  const { values, missingSecrets } = resolveVariables(service.env, request.secrets);
  if (missingSecrets.length > 0) return problem('errored', `services.${service.name}: secrets not provided: ${missingSecrets.join(', ')}`);
  for (const step of ['install', 'build'] as const) {
    const command = spec[step];
    if (!command) continue;
    const marker = join(place.stateDir, 'builds', key, sha, `${service.name}.static.${step}.${specHash({ command, workdir: spec.workdir })}`);
    if (existsSync(marker)) continue;
    const logPath = join(place.stateDir, 'logs', key, 'builds', `${sha.slice(0, 12)}-${service.name}-${step}.log`);
    remove(logPath);
    appendLine(logPath, `[slipway] services.${service.name} static.${step}: ${commandText(command)}`);
    const path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
    const onOutput = request.onOutput;
    const masker = createSecretMasker(request.secrets);
    const output = onOutput ? followFileLines(logPath, (line) => onOutput(masker.mask(line), service.name)) : undefined;
    const running = spawnGroup(argv(command), { cwd: workdir, env: { PATH: path, HOME: process.env.HOME ?? '/', ...values, SLIPWAY_SERVICE: service.name }, logPath, mask: masker.forms });
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([running.exited, new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), place.timeoutMs)))]);
    clearTimeout(timer);
    if (exit === 'timeout') await stopGroup(running, 5_000);
    output?.stop();
    const tail = () => masker.mask(lastLines(readFileSync(logPath, 'utf8'), 20));
    if (exit === 'timeout') {
      return problem('failed', `services.${service.name} static.${step} "${commandText(command)}" did not finish within ${place.timeoutMs} ms`, tail());
    }
    if (exit.code !== 0) {
      const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      return problem('failed', `services.${service.name} static.${step} "${commandText(command)}" ${how}`, tail());
    }
    writeMarker(marker);
  }
  return undefined;
}

/** The site's output folder in the checkout, when it exists. */
export function staticOutputFolder(checkout: string, service: ResolvedService): string | undefined {
  if (!service.static) return undefined;
  const root = folderIn(folderIn(checkout, service.static.workdir) ?? checkout, service.static.output);
  return root && existsSync(root) ? root : undefined;
}

