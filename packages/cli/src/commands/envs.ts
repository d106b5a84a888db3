import pc from 'picocolors';
import type { CliConfig, CreateEnvironmentRequest, DeployResponse, EnvironmentProtectionResponse, EnvironmentResponse } from '@slipway/contract';
import { breakGlassQuery, callApi, callApiList, resolveConnection } from '../api-client.ts';
import { plural } from '../diagnostics-output.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { apiCommand, printJson, segment, usageError } from './api-command.ts';
import { deployName, urlLines } from './deploy-progress.ts';
import { environmentDetails, environmentTable, expiryOf } from './environment-view.ts';
import { mergeVariables, parseAssignments, parseNames } from './variable-assignments.ts';
import { waitForDeploy } from './wait-for-deploy.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

/** What the API answers when it queues a deploy of an environment (create, delete, config). */
export interface QueuedDeploy {
  environment: EnvironmentResponse;
  deploy: DeployResponse;
}

const environmentPath = (id: string) => `/api/v1/environments/${segment(id)}`;

export interface EnvsCreateOptions {
  /** Admins: create a protected environment anyway, for this reason (audited as break-glass). */
  breakGlass?: string;
  app: string;
  branch?: string;
  commit?: string;
  id?: string;
  permanent?: boolean;
  ttl?: string;
  template?: string;
  /** NAME=VALUE, as typed. */
  vars?: string[];
  wait?: boolean;
  output: OutputFormat;
}

/** Checks the options and builds the request body; problems are returned, each saying what was wrong. */
export function createEnvironmentBody(options: EnvsCreateOptions): { value?: CreateEnvironmentRequest; errors: string[] } {
  const errors: string[] = [];
  if (options.permanent && !options.id) errors.push('a permanent environment needs a name: add --id <id>, such as --id staging');
  if (options.permanent && options.ttl) errors.push('--ttl applies to ephemeral environments only; a permanent one lives until it is deleted');
  const variables = parseAssignments(options.vars ?? []);
  errors.push(...variables.errors.map((e) => `--var ${e}`));
  if (errors.length) return { errors };
  return {
    value: {
      app: options.app,
      ...(options.branch ? { branch: options.branch } : {}),
      ...(options.commit ? { commit: options.commit } : {}),
      ...(options.permanent ? { kind: 'permanent' as const } : {}),
      ...(options.id ? { id: options.id } : {}),
      ...(options.ttl ? { ttl: options.ttl } : {}),
      ...(options.template ? { template: options.template } : {}),
      ...(Object.keys(variables.value).length ? { variables: variables.value } : {}),
    },
    errors: [],
  };
}

/** `slipway envs create`: queues an environment's setup deploy; with --wait, follows it to the end. */
export async function envsCreate(options: EnvsCreateOptions, io: CommandIO): Promise<number> {
  const body = createEnvironmentBody(options);
  if (!body.value) return usageError(io, body.errors.join('\n        '));
  return apiCommand(io, async () => {
    const connection = resolveConnection();
    const queued = await callApi<QueuedDeploy>(connection, 'POST', `/api/v1/environments${breakGlassQuery(options.breakGlass)}`, body.value);
    return reportQueued(connection, queued, io, options, `environment ${pc.bold(queued.environment.id)} of ${queued.environment.app} (${queued.environment.branch}) created`);
  });
}

/**
 * Prints a queued deploy: what was queued and how to follow it, or, with --wait, its timeline and
 * outcome. JSON gets the API's `{ environment, deploy }`, with both as they ended when waited for.
 */
async function reportQueued(connection: CliConfig, queued: QueuedDeploy, io: CommandIO, options: { wait?: boolean; output: OutputFormat }, headline: string): Promise<number> {
  const { deploy } = queued;
  if (options.output !== 'json') io.out(`${pc.green('✓')} ${headline}; ${deployName(deploy)} queued`);
  if (!options.wait) {
    if (options.output === 'json') printJson(io, queued);
    else {
      const urls = Object.entries(queued.environment.urls);
      if (urls.length && deploy.workflow !== 'teardown') io.out(urlLines(urls).join('\n'));
      io.out(`  follow it: slipway deploys get ${deploy.id} --wait`);
    }
    return ExitCode.ok;
  }
  const result = await waitForDeploy(connection, deploy.id, io, options.output);
  if (options.output === 'json') printJson(io, { environment: result.environment ?? queued.environment, deploy: result.deploy });
  return result.exitCode;
}

export async function envsList(options: ListOptions & { app?: string; output: OutputFormat }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const query = options.app ? `?app=${encodeURIComponent(options.app)}` : '';
    const answer = await callApiList<EnvironmentResponse>(resolveConnection(), `/api/v1/environments${query}`, listLimitOf(options));
    if (options.output === 'json') printJson(io, answer);
    else if (answer.items.length === 0) io.out(`no environments${options.app ? ` of ${options.app}` : ''}: create one with \`slipway envs create --app <app> --branch <branch>\``);
    else {
      io.out(environmentTable(answer.items, now));
      moreRowsNote(io, answer.items.length, answer.nextCursor);
    }
  });
}

export async function envsGet(options: { id: string; output: OutputFormat }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const env = await callApi<EnvironmentResponse>(resolveConnection(), 'GET', environmentPath(options.id));
    if (options.output === 'json') printJson(io, env);
    else io.out(environmentDetails(env, now));
  });
}

/** `slipway envs delete`: queues the teardown; with --wait, follows it until the environment is gone. */
export async function envsDelete(options: { id: string; wait?: boolean; breakGlass?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const connection = resolveConnection();
    const queued = await callApi<QueuedDeploy>(connection, 'DELETE', `${environmentPath(options.id)}${breakGlassQuery(options.breakGlass)}`);
    return reportQueued(connection, queued, io, options, `deleting environment ${pc.bold(queued.environment.id)}`);
  });
}

export async function envsExtend(options: { id: string; ttl: string; breakGlass?: string; output: OutputFormat }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const env = await callApi<EnvironmentResponse>(resolveConnection(), 'POST', `${environmentPath(options.id)}/extend${breakGlassQuery(options.breakGlass)}`, { ttl: options.ttl });
    if (options.output === 'json') printJson(io, env);
    else io.out(`${pc.green('✓')} environment ${pc.bold(env.id)} now expires ${expiryOf(env, now)}${env.expiresAt ? ` (${env.expiresAt})` : ''}`);
  });
}

/** How long `envs resume` waits for the API, which answers once the services are ready (the server waits up to 2 minutes for them). */
const RESUME_TIMEOUT_MS = 180_000;

/** `slipway envs pause`: stops the environment's services, state kept; its URLs answer a paused page until it is resumed. */
export async function envsPause(options: { id: string; wakeOnRequest?: boolean; breakGlass?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const body = options.wakeOnRequest ? { wakeOnRequest: true } : undefined;
    const env = await callApi<EnvironmentResponse>(resolveConnection(), 'POST', `${environmentPath(options.id)}/pause${breakGlassQuery(options.breakGlass)}`, body);
    if (options.output === 'json') return printJson(io, env);
    const until = env.wakeOnRequest ? 'the first request to one of them wakes it (the request waits until it is ready)' : `they answer a paused page until \`slipway envs resume ${env.id}\``;
    io.out(`${pc.green('✓')} environment ${pc.bold(env.id)} paused: its services are stopped and keep their data; ${until}`);
  });
}

/** `slipway envs resume`: starts a paused environment's services again and answers once they are ready; exit 5 when one is not. */
export async function envsResume(options: { id: string; breakGlass?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const env = await callApi<EnvironmentResponse>(resolveConnection(), 'POST', `${environmentPath(options.id)}/resume${breakGlassQuery(options.breakGlass)}`, undefined, { timeoutMs: RESUME_TIMEOUT_MS });
    const ready = env.status === 'ready';
    if (options.output === 'json') printJson(io, env);
    else if (ready) {
      io.out(`${pc.green('✓')} environment ${pc.bold(env.id)} resumed: its services are ready`);
      const urls = Object.entries(env.urls);
      if (urls.length) io.out(urlLines(urls).join('\n'));
    } else io.err(`${pc.red('✗')} environment ${pc.bold(env.id)} did not resume: ${env.reason ?? env.status}; see slipway instances list ${env.id} and slipway instances logs ${env.id} <instance>`);
    return ready ? ExitCode.ok : ExitCode.deployFailed;
  });
}

/** `slipway envs protect`: an admin marks the environment protected; only releases (or break-glass) change it from then on. */
export async function envsProtect(options: { id: string; reason: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const mark = await callApi<EnvironmentProtectionResponse>(resolveConnection(), 'PUT', `${environmentPath(options.id)}/protection`, { reason: options.reason });
    if (options.output === 'json') return printJson(io, mark);
    io.out(`${pc.green('✓')} environment ${pc.bold(mark.envId)} is protected: it changes only once an admin lifts the mark (slipway envs unprotect), or by an admin breaking glass (${mark.reason})`);
  });
}

/** `slipway envs unprotect`: an admin lifts the mark; says so when a track or admission still protects it. */
export async function envsUnprotect(options: { id: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const lifted = await callApi<EnvironmentProtectionResponse>(resolveConnection(), 'DELETE', `${environmentPath(options.id)}/protection`);
    if (options.output === 'json') return printJson(io, lifted);
    io.out(
      lifted.governedBy
        ? `${pc.green('✓')} lifted the mark from ${pc.bold(lifted.envId)}; it stays protected: ${lifted.governedBy} governs it`
        : `${pc.green('✓')} lifted the mark from ${pc.bold(lifted.envId)}; it may be changed directly again`,
    );
  });
}

interface EnvironmentConfig {
  templateVersion: string;
  variables: Record<string, string>;
}

export async function envsConfigGet(options: { id: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const config = await callApi<EnvironmentConfig>(resolveConnection(), 'GET', `${environmentPath(options.id)}/config`);
    if (options.output === 'json') return printJson(io, config);
    const names = Object.keys(config.variables).sort();
    io.out(`template version ${config.templateVersion}`);
    io.out(
      names.length
        ? table(['name', 'value'], names.map((n) => [n, config.variables[n]!]))
        : `no variables of its own: set them with \`slipway envs config-set ${options.id} NAME=VALUE\``,
    );
  });
}

export interface EnvsConfigSetOptions {
  id: string;
  breakGlass?: string;
  /** NAME=VALUE, as typed. */
  assignments: string[];
  unset?: string[];
  wait?: boolean;
  output: OutputFormat;
}

/**
 * `slipway envs config-set`: the API replaces the whole set of the environment's own variables, so
 * this reads them, applies the changes and writes them back, which re-runs the setup workflow.
 */
export async function envsConfigSet(options: EnvsConfigSetOptions, io: CommandIO): Promise<number> {
  const set = parseAssignments(options.assignments);
  const unset = parseNames(options.unset ?? []);
  const errors = [...set.errors, ...unset.errors];
  const both = unset.value.filter((n) => Object.hasOwn(set.value, n));
  if (both.length) errors.push(`${both.join(', ')}: both set and --unset; choose one`);
  if (!errors.length && options.assignments.length === 0 && unset.value.length === 0) errors.push('nothing to change: give NAME=VALUE arguments, or --unset NAME');
  if (errors.length) return usageError(io, errors.join('\n        '));
  return apiCommand(io, async () => {
    const connection = resolveConnection();
    const current = await callApi<EnvironmentConfig>(connection, 'GET', `${environmentPath(options.id)}/config`);
    const changes = mergeVariables(current.variables, set.value, unset.value);
    for (const name of changes.notSet) io.err(`${pc.yellow('warning')} ${name} is not set on ${options.id}; nothing to unset`);
    if (changes.changed.length === 0 && changes.removed.length === 0) {
      if (options.output === 'json') printJson(io, current);
      else io.out(`${pc.green('✓')} nothing changed: ${options.id} already has these variables, so no deploy was queued`);
      return ExitCode.ok;
    }
    const queued = await callApi<QueuedDeploy>(connection, 'PUT', `${environmentPath(options.id)}/config${breakGlassQuery(options.breakGlass)}`, { variables: changes.variables });
    const what = [changes.changed.length ? `set ${changes.changed.join(', ')}` : '', changes.removed.length ? `removed ${changes.removed.join(', ')}` : ''].filter(Boolean).join('; ');
    return reportQueued(connection, queued, io, options, `${plural(changes.changed.length + changes.removed.length, 'variable')} of ${pc.bold(options.id)} changed (${what})`);
  });
}

export async function envsVarsGet(options: { id: string; service?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApi<{ services: Record<string, Record<string, string>> }>(resolveConnection(), 'GET', `${environmentPath(options.id)}/vars`);
    let services = answer.services;
    if (options.service !== undefined) {
      const vars = services[options.service];
      if (!vars) {
        io.err(`${pc.red('error')}   environment ${options.id} has no service "${options.service}"; it has ${Object.keys(services).join(', ') || 'none'}`);
        return ExitCode.notFound;
      }
      services = { [options.service]: vars };
    }
    if (options.output === 'json') return printJson(io, { services });
    const names = Object.keys(services);
    if (names.length === 0) return io.out('no services');
    io.out(
      names
        .map((name) => {
          const vars = Object.entries(services[name]!).sort(([a], [b]) => a.localeCompare(b));
          return `${pc.bold(name)}\n${vars.length ? indent(table(['name', 'value'], vars)) : '  (no variables)'}`;
        })
        .join('\n\n'),
    );
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
