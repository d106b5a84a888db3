import { type Command, Option } from 'commander';
import { collect, commitSha, dnsLabel, duration, limitOption, lineCount } from './argument-parsers.ts';
import { appsCreate, appsCreateFromRepository, appsGet, appsList } from './commands/apps.ts';
import { deploysCreate, deploysGet, deploysList, deploysLogs } from './commands/deploys.ts';
import { envsConfigGet, envsConfigSet, envsCreate, envsDelete, envsExtend, envsGet, envsList, envsPause, envsProtect, envsResume, envsUnprotect, envsVarsGet } from './commands/envs.ts';
import { instancesExec, instancesList, instancesLogs } from './commands/instances.ts';
import { previewsList } from './commands/previews.ts';
import { secretsDelete, secretsList, secretsSet } from './commands/secrets.ts';
import { datasetsList, datasetsRefresh, datasetsShow } from './commands/datasets.ts';
import { addIdentityCommands } from './identity-commands.ts';
import { addReleaseCommands } from './release-commands.ts';
import type { CommandIO, OutputFormat } from './io.ts';

// The commands that work on a running Slipway through its API: apps, envs, deploys, instances and
// secrets. Each action only maps commander's options onto a plain command function.

type Run = (action: Promise<number>) => Promise<void>;
type Output = { output: OutputFormat };

const jsonOutput = () => new Option('-o, --output <format>', 'text for people, json (the API answer) for scripts').choices(['text', 'json']).default('text');
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;
const waitHelp =
  '\n--wait follows the deploy: each task as it starts and ends, a failed task\'s log tail, then the outcome and the\nenvironment\'s URLs. Exit 0 when it succeeded, 5 when it failed or errored. Ctrl-C stops waiting, not the deploy.';

export function addApiCommands(program: Command, io: CommandIO, run: Run): void {
  addApps(program, io, run);
  addEnvs(program, io, run);
  addDeploys(program, io, run);
  addInstances(program, io, run);
  addSecrets(program, io, run);
  addDatasets(program, io, run);
  addPreviews(program, io, run);
  addIdentityCommands(program, io, run);
  addReleaseCommands(program, io, run);
}

function addPreviews(program: Command, io: CommandIO, run: Run): void {
  const previews = program.command('previews').description('pull requests and branches with an environment of their own (GitHub webhooks, polling)');
  previews
    .command('list')
    .description('list the open previews: which environment stands for which pull request or branch')
    .option('--app <name>', 'only this application')
    .option('--all', 'closed ones too (pull requests closed, branches deleted)')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: Output & { app?: string; all?: boolean; limit?: number }) =>
      run(previewsList({ ...(opts.app ? { app: opts.app } : {}), ...(opts.all ? { all: true } : {}), ...(opts.limit !== undefined ? { limit: opts.limit } : {}), output: opts.output }, io)),
    );
}

function addApps(program: Command, io: CommandIO, run: Run): void {
  const apps = program.command('apps').description('register and inspect applications');
  apps
    .command('create')
    .description("register an application from its manifest (a file, or a folder's .slipway/) or from a git repository's .slipway/ (again: a new template version)")
    .argument('[path]', 'manifest file, or the application folder')
    .option('--repo <path-or-url>', "a git repository whose .slipway/ holds the manifest: a folder on the server's machine, or a git URL")
    .option('--branch <branch>', 'with --repo: the branch to read (and track); default: the repository\'s default branch')
    .option('--path <folder>', 'with --repo: the repository\'s folder that holds the manifest; default: .slipway')
    .addOption(jsonOutput())
    .addHelpText(
      'after',
      examples('slipway apps create examples/guestbook', 'slipway apps create --repo . --branch main', 'slipway apps create --repo . --path .slipway-docker', 'slipway apps create --repo https://github.com/acme/shop.git'),
    )
    .action((path: string | undefined, opts: Output & { repo?: string; branch?: string; path?: string }, cmd: Command) => {
      if ((path === undefined) === (opts.repo === undefined)) cmd.error('error: give either a manifest <path> or --repo <path-or-url>, not both and not neither');
      if (opts.branch !== undefined && opts.repo === undefined) cmd.error('error: --branch goes with --repo (a manifest file has no branch)');
      if (opts.path !== undefined && opts.repo === undefined) cmd.error('error: --path goes with --repo (it names a folder of the repository)');
      const fromRepository = { ...(opts.branch ? { branch: opts.branch } : {}), ...(opts.path ? { path: opts.path } : {}), output: opts.output };
      return run(opts.repo !== undefined ? appsCreateFromRepository({ repository: opts.repo, ...fromRepository }, io) : appsCreate({ path: path!, output: opts.output }, io));
    });
  apps
    .command('list')
    .description('list the applications of your workspace')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: Output & { limit?: number }) => run(appsList(opts, io)));
  apps
    .command('get')
    .description('show an application and its template versions')
    .argument('<name>', 'application name')
    .addOption(jsonOutput())
    .action((name: string, opts: Output) => run(appsGet({ name, output: opts.output }, io)));
}

function addEnvs(program: Command, io: CommandIO, run: Run): void {
  const envs = program.command('envs').description('create, inspect, configure, pause, resume and delete environments of applications');
  envs
    .command('create')
    .description('create an environment of an application: ephemeral for a branch (with a time to live), or --permanent with an --id')
    .requiredOption('--app <app>', 'the application', dnsLabel)
    .option('--branch <branch>', "git branch to run (default: the application's tracking branch)")
    .option('--commit <sha>', 'exact commit (default: the head of the branch)', commitSha)
    .option('--id <id>', 'environment id used in hostnames (default for ephemeral: from the branch; required with --permanent)', dnsLabel)
    .option('--permanent', 'a named environment that does not expire, such as staging')
    .option('--ttl <duration>', 'time to live of an ephemeral environment, such as 24h or 7d (default: from the template, else 72h)', duration)
    .option('--template <name>', 'environment template to apply')
    .option('--var <NAME=VALUE>', "a variable of this environment only, winning over the application's (repeatable)", collect)
    .option('--break-glass <reason>', 'admins only: change a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .option('--wait', 'follow the setup deploy until it ends')
    .addOption(jsonOutput())
    .addHelpText(
      'after',
      `${waitHelp}\n${examples(
        'slipway envs create --app shop --branch feature/cart --wait',
        'slipway envs create --app shop --branch main --id staging --permanent --var LOG_LEVEL=debug',
        'slipway envs create --app shop --branch fix/login --ttl 24h -o json | jq -r .deploy.id',
      )}`,
    )
    .action((opts: Output & { app: string; branch?: string; commit?: string; id?: string; permanent?: boolean; ttl?: string; template?: string; var?: string[]; wait?: boolean; breakGlass?: string }) =>
      run(envsCreate({ ...opts, vars: opts.var ?? [] }, io)),
    );
  envs
    .command('list')
    .description('list the live environments of your workspace, or of one application')
    .option('--app <app>', 'only environments of this application')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway envs list', 'slipway envs list --app shop -o json', 'slipway envs list --limit 20'))
    .action((opts: Output & { app?: string; limit?: number }) => run(envsList(opts, io)));
  envs
    .command('get')
    .description('show an environment: status, branch, commit, expiry, URLs, last deploy and instances')
    .argument('<id>', 'environment id')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway envs get pr-42'))
    .action((id: string, opts: Output) => run(envsGet({ id, output: opts.output }, io)));
  envs
    .command('delete')
    .description('delete an environment: queues its teardown (its instances, routes and data go)')
    .argument('<id>', 'environment id')
    .option('--wait', 'follow the teardown until the environment is gone')
    .option('--break-glass <reason>', 'admins only: change a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .addOption(jsonOutput())
    .addHelpText('after', `${waitHelp}\n${examples('slipway envs delete pr-42 --wait')}`)
    .action((id: string, opts: Output & { wait?: boolean; breakGlass?: string }) => run(envsDelete({ id, ...opts }, io)));
  envs
    .command('extend')
    .description('extend an ephemeral environment: it then expires the given time from now')
    .argument('<id>', 'environment id')
    .requiredOption('--ttl <duration>', 'new time to live counted from now, such as 24h or 7d', duration)
    .option('--break-glass <reason>', 'admins only: change a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway envs extend pr-42 --ttl 48h'))
    .action((id: string, opts: Output & { ttl: string; breakGlass?: string }) => run(envsExtend({ id, ...opts }, io)));
  envs
    .command('pause')
    .description('pause an environment: stop its services, keeping their data (volumes, datasets, config); its URLs answer a paused page (503 with Retry-After for API clients) until it is resumed')
    .argument('<id>', 'environment id')
    .option('--wake-on-request', "let the first request to its URLs wake it: the router holds that request (up to 30 s) and serves it once the environment is ready")
    .option('--break-glass <reason>', 'admins only: change a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .addOption(jsonOutput())
    .addHelpText(
      'after',
      `\nA paused environment is not torn down for idleness, but still expires at its TTL. No job runs on\nresume; a deploy into a paused environment (slipway deploys create) resumes it. Waking on request\nworks through the server's embedded router (not yet a standalone \`slipway router\`), and never for\na protected environment.\n${examples('slipway envs pause pr-42', 'slipway envs pause pr-42 --wake-on-request', 'slipway envs pause pr-42 -o json | jq -r .status')}`,
    )
    .action((id: string, opts: Output & { wakeOnRequest?: boolean; breakGlass?: string }) => run(envsPause({ id, ...opts }, io)));
  envs
    .command('resume')
    .description('resume a paused environment: start its services again (no job runs), wait until they are ready, then route its URLs to them')
    .argument('<id>', 'environment id')
    .option('--break-glass <reason>', 'admins only: change a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .addOption(jsonOutput())
    .addHelpText('after', `\nExits 0 once every service is ready, 5 when one did not become ready (the environment is then\nfailed, with the reason).\n${examples('slipway envs resume pr-42')}`)
    .action((id: string, opts: Output & { breakGlass?: string }) => run(envsResume({ id, ...opts }, io)));
  envs
    .command('protect')
    .description('admins: mark an environment protected, so that only releases (or an admin breaking glass) change it; the mark stays on its id after a delete')
    .argument('<id>', 'environment id')
    .requiredOption('--reason <text>', 'why it is protected (kept in the audit ledger and shown in every refusal)')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway envs protect demo --reason "customer demo until Friday"'))
    .action((id: string, opts: Output & { reason: string }) => run(envsProtect({ id, ...opts }, io)));
  envs
    .command('unprotect')
    .description("admins: lift an environment's protection mark (a track or admission that names it still protects it)")
    .argument('<id>', 'environment id')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway envs unprotect demo'))
    .action((id: string, opts: Output) => run(envsUnprotect({ id, ...opts }, io)));
  envs
    .command('config-get')
    .description("show the environment's own variables (those that win over the application's) and its template version")
    .argument('<id>', 'environment id')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway envs config-get staging'))
    .action((id: string, opts: Output) => run(envsConfigGet({ id, output: opts.output }, io)));
  envs
    .command('config-set')
    .description("change the environment's own variables (the others are kept) and re-run its setup workflow")
    .argument('<id>', 'environment id')
    .argument('[NAME=VALUE...]', 'variables to set; an empty value (NAME=) sets an empty variable')
    .option('--unset <name>', 'a variable to remove (repeatable)', collect)
    .option('--break-glass <reason>', 'admins only: change a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .option('--wait', 'follow the setup deploy until it ends')
    .addOption(jsonOutput())
    .addHelpText('after', `${waitHelp}\n${examples('slipway envs config-set staging LOG_LEVEL=debug FEATURE_X=on --wait', 'slipway envs config-set staging --unset FEATURE_X')}`)
    .action((id: string, assignments: string[], opts: Output & { unset?: string[]; wait?: boolean; breakGlass?: string }) => run(envsConfigSet({ id, assignments, ...opts }, io)));
  envs
    .command('vars-get')
    .description("show every service's variables as the environment runs them (secrets appear as references, never values)")
    .argument('<id>', 'environment id')
    .option('--service <service>', 'only this service')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway envs vars-get pr-42 --service api'))
    .action((id: string, opts: Output & { service?: string }) => run(envsVarsGet({ id, ...opts }, io)));
}

function addDeploys(program: Command, io: CommandIO, run: Run): void {
  const deploys = program.command('deploys').description('deploy new commits to environments and follow deploys');
  deploys
    .command('create')
    .description("deploy a new commit to an environment with its patch workflow (default: the head of the environment's branch)")
    .argument('<env>', 'environment id')
    .option('--commit <sha>', 'the commit to deploy', commitSha)
    .option('--break-glass <reason>', 'admins only: change a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .option('--wait', 'follow the deploy until it ends')
    .option('--logs', "with --wait, stream the deploy's log (build and job output) instead of the task timeline")
    .addOption(jsonOutput())
    .addHelpText('after', `${waitHelp}\n${examples('slipway deploys create pr-42 --wait', 'slipway deploys create pr-42 --wait --logs', 'slipway deploys create staging --commit 0123abc')}`)
    .action((env: string, opts: Output & { commit?: string; wait?: boolean; logs?: boolean; breakGlass?: string }) => run(deploysCreate({ env, ...opts }, io)));
  deploys
    .command('list')
    .description("list an environment's deploys, newest first")
    .argument('<env>', 'environment id')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway deploys list pr-42', 'slipway deploys list pr-42 --limit 5'))
    .action((env: string, opts: Output & { limit?: number }) => run(deploysList({ env, ...opts }, io)));
  deploys
    .command('get')
    .description('show a deploy and the state of each of its tasks; --wait follows it live')
    .argument('<deploy-id>', 'deploy id, as printed when it was queued or by `deploys list`')
    .option('--wait', 'follow the deploy until it ends')
    .option('--logs', "with --wait, stream the deploy's log (build and job output) instead of the task timeline")
    .addOption(jsonOutput())
    .addHelpText('after', `${waitHelp}\n${examples('slipway deploys get 6f1c…e2 --wait', 'slipway deploys get 6f1c…e2 --wait --logs')}`)
    .action((id: string, opts: Output & { wait?: boolean; logs?: boolean }) => run(deploysGet({ id, ...opts }, io)));
  deploys
    .command('logs')
    .description("print a deploy's log: a line as each task starts and ends, and the build and job output; -f follows it until the deploy ends")
    .argument('<deploy-id>', 'deploy id, as printed when it was queued or by `deploys list`')
    .option('-f, --follow', 'stream new lines until the deploy ends (Ctrl-C stops)')
    .addHelpText('after', examples('slipway deploys logs 6f1c…e2', 'slipway deploys logs 6f1c…e2 -f'))
    .action((id: string, opts: { follow?: boolean }) => run(untilInterrupted((signal) => deploysLogs({ id, ...opts }, io, signal))));
}

function addInstances(program: Command, io: CommandIO, run: Run): void {
  const instances = program.command('instances').description("see an environment's running instances, their logs, and run commands in them");
  instances
    .command('list')
    .description("list an environment's instances: state, restarts, endpoints and why they are unwell")
    .argument('<env>', 'environment id')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway instances list pr-42'))
    .action((env: string, opts: Output & { limit?: number }) => run(instancesList({ env, ...opts }, io)));
  instances
    .command('logs')
    .description("print an instance's log; with --follow, keep printing new lines until Ctrl-C")
    .argument('<env>', 'environment id')
    .argument('<instance>', 'instance name, as `instances list` shows it')
    .option('-f, --follow', 'keep the log open and print new lines as they come')
    .option('--tail <lines>', 'start with only the last lines of the log', lineCount)
    .addHelpText('after', examples('slipway instances logs pr-42 web-0 --tail 100', 'slipway instances logs pr-42 api-0 -f'))
    .action((env: string, instance: string, opts: { follow?: boolean; tail?: number }) => run(untilInterrupted((signal) => instancesLogs({ env, instance, ...opts }, io, signal))));
  instances
    .command('exec')
    .description("run a command in an instance's working directory and environment; exits with the command's exit code")
    .argument('<env>', 'environment id')
    .argument('<instance>', 'instance name, as `instances list` shows it')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--timeout <duration>', 'stop the command after this long (default 60s, at most 10m)', duration)
    .option('--break-glass <reason>', 'admins only: run a command in a protected environment outside a release, for this reason (recorded in the audit ledger)')
    .addOption(jsonOutput())
    .addHelpText(
      'after',
      `\nPut the command after -- so its options are not read as slipway's. Once the command ran, the exit code is its own;\nwhen it could not run (no such instance, timed out), the exit codes are slipway's.\n${examples('slipway instances exec pr-42 api-0 -- npm run migrate', 'slipway instances exec pr-42 db-0 --timeout 5m -- sh -c "pg_dump app > /tmp/dump.sql"')}`,
    )
    .action((env: string, instance: string, command: string[], opts: Output & { timeout?: string; breakGlass?: string }) => run(instancesExec({ env, instance, command, ...opts }, io)));
}

function addSecrets(program: Command, io: CommandIO, run: Run): void {
  const secrets = program.command('secrets').description('store workspace secrets that manifests reference as { secret: name }; values are never shown');
  secrets
    .command('set')
    .description('store a secret (replacing its value when it exists); the value comes from --value or from stdin')
    .argument('<name>', 'secret name: lowercase letters, digits and "-"')
    .option('--value <value>', 'the value (it then lands in your shell history: prefer piping it in)')
    .option('--break-glass <reason>', 'admins only: change what a protected environment reads outside a release, for this reason (recorded in the audit ledger)')
    .addOption(jsonOutput())
    .addHelpText(
      'after',
      `\nWithout --value the value is read from stdin, which must not be a terminal; one trailing line\nbreak is dropped. The value is never printed.\n${examples('printf %s "$DB_PASSWORD" | slipway secrets set db-password', 'slipway secrets set api-key < api-key.txt')}`,
    )
    .action((name: string, opts: Output & { value?: string; breakGlass?: string }) => run(secretsSet({ name, ...opts }, io)));
  secrets
    .command('list')
    .description('list the names of the workspace secrets')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: Output & { limit?: number }) => run(secretsList(opts, io)));
  secrets
    .command('delete')
    .description('delete a secret')
    .argument('<name>', 'secret name')
    .option('--break-glass <reason>', 'admins only: delete a secret a protected environment reads outside a release, for this reason (recorded in the audit ledger)')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway secrets delete db-password'))
    .action((name: string, opts: Output & { breakGlass?: string }) => run(secretsDelete({ name, ...opts }, io)));
}

function addDatasets(program: Command, io: CommandIO, run: Run): void {
  const datasets = program
    .command('datasets')
    .description("pools of PostgreSQL clones that give each environment its own database (docs/datasets.md)")
    .addHelpText('after', '\nA dataset is declared under spec.datasets of an application; the server needs SLIPWAY_DATASET_DATABASE_URL.');
  datasets
    .command('list')
    .description("list the workspace's datasets: state, pool, golden copy and next refresh")
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: Output & { limit?: number }) => run(datasetsList(opts, io)));
  datasets
    .command('show')
    .description('show a dataset: its golden copy, why it failed, and its clones (ready, attached to which environment)')
    .argument('<app>', 'application')
    .argument('<name>', 'dataset')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway datasets show shop orders'))
    .action((app: string, name: string, opts: Output) => run(datasetsShow({ app, name, ...opts }, io)));
  datasets
    .command('refresh')
    .description('make the golden copy again from the source and replace the unattached clones; attached ones are never touched')
    .argument('<app>', 'application')
    .argument('<name>', 'dataset')
    .addOption(jsonOutput())
    .addHelpText('after', `\nA refresh also runs on the dataset's refresh: cron schedule.\n${examples('slipway datasets refresh shop orders')}`)
    .action((app: string, name: string, opts: Output) => run(datasetsRefresh({ app, name, ...opts }, io)));
}

/**
 * Runs a command that follows output (a log with --follow) until it ends or Ctrl-C is pressed: the normal
 * way to stop following, so the command still exits 0. (A reader of a pipe going away, as with `| head`,
 * is handled for every command in bin/slipway.js.)
 */
function untilInterrupted(action: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  return action(stop.signal).finally(() => process.off('SIGINT', onSigint));
}
