import { Command, CommanderError, Option } from 'commander';
import { addApiCommands } from './api-commands.ts';
import { dnsLabel, port } from './argument-parsers.ts';
import { login } from './commands/login.ts';
import { server } from './commands/server.ts';
import { addRouterCommand } from './commands/router.ts';
import { ExitCode, processIO, type CommandIO } from './io.ts';
import type { importComposeCommand as importCompose, importReleaseCommand as importRelease } from './commands/import.ts';
import type { render as renderCommand } from './commands/render.ts';
import type { schema as schemaCommand } from './commands/schema.ts';
import type { validate as validateCommand } from './commands/validate.ts';

// The commands that read manifests (validate, import, render, schema) load core — its importers,
// renderer and validation — only when they run, so the API commands start without it.
const validate: typeof validateCommand = async (...a) => (await import('./commands/validate.ts')).validate(...a);
const importComposeCommand: typeof importCompose = async (...a) => (await import('./commands/import.ts')).importComposeCommand(...a);
const importReleaseCommand: typeof importRelease = async (...a) => (await import('./commands/import.ts')).importReleaseCommand(...a);
const render: typeof renderCommand = async (...a) => (await import('./commands/render.ts')).render(...a);
const schema: typeof schemaCommand = async (...a) => (await import('./commands/schema.ts')).schema(...a);

const version = '0.1.0';

/** Builds the `slipway` program; each action runs a plain command function and records its exit code. */
export function buildProgram(io: CommandIO, setExitCode: (code: number) => void): Command {
  const program = new Command('slipway')
    .description('Slipway: environments as a service and governed release promotion, self-hosted.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  const run = (action: Promise<number>) => action.then(setExitCode);
  const output = (choices: string[], fallback: string) => new Option('-o, --output <format>', 'output format').choices(choices).default(fallback);

  program
    .command('validate')
    .description("check manifests: files, folders, or a repository's .slipway/ folder, as one bundle")
    .argument('[paths...]', 'files or folders to check', ['.'])
    .addOption(output(['text', 'json'], 'text'))
    .option('--strict', 'fail on warnings too')
    .addHelpText('after', '\nExit codes: 0 valid, 1 invalid, 2 could not run.\n\nExamples:\n  slipway validate examples/guestbook\n  slipway validate .slipway/app.yaml --output json')
    .action((paths: string[], opts: { output: 'text' | 'json'; strict?: boolean }) => run(validate({ paths, output: opts.output, strict: opts.strict }, io)));

  const importCmd = program.command('import').description('convert another format into a Slipway Application manifest');
  importCmd
    .command('compose')
    .description('convert a Docker Compose file; prints the manifest, with a warning for each thing that has no equivalent')
    .argument('[file]', 'compose.yaml or docker-compose.yml (or give the files with -f)')
    .option('-f, --file <file>', 'a Compose file; several are merged in order, as docker compose -f a -f b does (repeatable)', collect, [])
    .option('--no-override', 'do not read compose.override.yaml / docker-compose.override.yml beside the file')
    .option('-o, --output <file>', 'write the manifest to this file instead of stdout')
    .option('--name <name>', 'application name (default: from the Compose file or its folder)')
    .option('--strict', 'refuse to import when there is any warning (exit 1)')
    .option('--verbose', 'list every warning instead of a summary by key')
    .option('--env-file <file>', 'read ${VAR} values from this file instead of .env (repeatable; later files win)', collect, [])
    .addHelpText('after', '\nExample:\n  slipway import compose docker-compose.yml -o .slipway/app.yaml')
    .action((file: string | undefined, opts: { output?: string; name?: string; envFile: string[]; file: string[]; override: boolean; strict?: boolean; verbose?: boolean }) => {
      const [first, ...rest] = file ? [file, ...opts.file] : opts.file;
      if (!first) {
        io.err('error   give a Compose file: slipway import compose compose.yaml, or -f a.yml -f b.yml');
        return run(Promise.resolve(2));
      }
      return run(importComposeCommand({ path: first, files: rest, noOverride: !opts.override, strict: opts.strict, verbose: opts.verbose, outputFile: opts.output, name: opts.name, envFiles: opts.envFile }, io));
    });
  importCmd
    .command('release')
    .description('convert a Release application template (.release/application_template.yaml and environment_variables.yaml)')
    .argument('<dir>', 'the repository folder, or its .release/ folder')
    .option('-o, --output <file>', 'write the manifest to this file instead of stdout')
    .option('--name <name>', 'application name (default: the template\'s app or repository name)')
    .option('--strict', 'refuse to import when there is any warning (exit 1)')
    .option('--verbose', 'list every warning instead of a summary by key')
    .addHelpText('after', '\nExample:\n  slipway import release ../my-repo -o .slipway/app.yaml')
    .action((dir: string, opts: { output?: string; name?: string; strict?: boolean; verbose?: boolean }) =>
      run(importReleaseCommand({ path: dir, outputFile: opts.output, name: opts.name, strict: opts.strict, verbose: opts.verbose }, io)),
    );

  program
    .command('schema')
    .description('print the JSON Schema of manifests (all kinds, or one), or write them for editors')
    .argument('[kind]', 'Application, ApplicationSet, ReleaseTrack, Environment, ReleasePlan or ReleasePlanAdmission')
    .option('--write <dir>', 'write one file per kind into this folder')
    .addHelpText('after', '\nIn an editor with yaml-language-server, start a manifest with:\n  # yaml-language-server: $schema=<path to schema/application.json>')
    .action((kind: string | undefined, opts: { write?: string }) => run(schema({ kind, write: opts.write }, io)));

  program
    .command('render')
    .description('print the fully resolved spec of one environment of an application: hostnames, routes, variables, workflows')
    .argument('<path>', 'an application manifest, or a folder holding its .slipway/')
    .requiredOption('--env-id <id>', 'environment id used in hostnames, e.g. pr-42', dnsLabel)
    .requiredOption('--branch <branch>', 'branch the environment is built from')
    .option('--commit <sha>', 'commit the environment is built from')
    .addOption(new Option('--kind <kind>', 'ephemeral (a branch or pull request) or permanent').choices(['ephemeral', 'permanent']).default('ephemeral'))
    .option('--template <name>', 'environment template (default: ephemeral, or the one named like a permanent environment, else permanent)')
    .option('--app <name>', 'which application, when the path holds several')
    .option('--domain <domain>', 'base domain of hostnames', process.env.SLIPWAY_DOMAIN ?? 'slipway.localhost')
    .option('--router-port <port>', 'port the router listens on, shown in URLs', port, Number(process.env.SLIPWAY_ROUTER_PORT ?? 8080))
    .addOption(new Option('--scheme <scheme>', 'URL scheme').choices(['http', 'https']).default('http'))
    .addOption(new Option('--runtime <runtime>', 'runtime for applications that do not choose one').choices(['local', 'docker', 'kubernetes']).default('local'))
    .addOption(output(['yaml', 'json', 'summary'], 'yaml'))
    .addHelpText('after', '\nExample:\n  slipway render examples/guestbook --env-id pr-42 --branch feature/x --commit 0123456')
    .action((path: string, opts: Record<string, string | number | undefined>) =>
      run(
        render(
          {
            path,
            envId: String(opts.envId),
            branch: String(opts.branch),
            kind: opts.kind as 'ephemeral' | 'permanent',
            domain: String(opts.domain),
            routerPort: Number(opts.routerPort),
            scheme: opts.scheme as 'http' | 'https',
            runtime: opts.runtime as 'local' | 'docker' | 'kubernetes',
            output: opts.output as 'yaml' | 'json' | 'summary',
            ...(opts.commit ? { commit: String(opts.commit) } : {}),
            ...(opts.template ? { template: String(opts.template) } : {}),
            ...(opts.app ? { app: String(opts.app) } : {}),
          },
          io,
        ),
      ),
    );
  program
    .command('server')
    .description('run Slipway: API, workflow engine, local runtime and the embedded router; data in SLIPWAY_HOME')
    .option('--home <dir>', 'data folder (SLIPWAY_HOME, default ~/.slipway)')
    .option('--api-port <port>', 'API port (SLIPWAY_API_PORT, default 4400)')
    .option('--router-port <port>', 'router port (SLIPWAY_ROUTER_PORT, default 8080)')
    .option('--host <address>', 'address to listen on (SLIPWAY_HOST, default 127.0.0.1)')
    .option('--domain <domain>', 'base domain of environments (SLIPWAY_DOMAIN, default slipway.localhost)')
    .option('--metrics-port <port>', 'port of the metrics listener, GET /metrics for Prometheus (SLIPWAY_METRICS_PORT, default 4401; 0 picks a free one)')
    .option('--metrics-host <address>', 'address of the metrics listener (SLIPWAY_METRICS_HOST, default 127.0.0.1; beyond loopback it needs SLIPWAY_METRICS_TOKEN)')
    .option('--no-metrics', 'no metrics listener (SLIPWAY_METRICS_PORT=off)')
    .option('--example <dir>', 'also register this example application from a git copy of it and bring up its main environment (npm start does this)')
    .addHelpText(
      'after',
      '\nAlso read: DATABASE_URL (PostgreSQL instead of the embedded SQLite), SLIPWAY_DATASET_DATABASE_URL (the PostgreSQL\nserver holding datasets\' pools of clones; no datasets without it), SLIPWAY_SECRET_KEY (32-byte key for secrets;\nelse a key file in SLIPWAY_HOME is generated with mode 0600), SLIPWAY_METRICS_TOKEN (a bearer token every scrape of\n/metrics must send; needed when the metrics listener is not on loopback). On first start an admin token is created and\nsaved for the CLI in ~/.config/slipway/config.yaml (mode 0600).',
    )
    .action((opts: { home?: string; apiPort?: string; routerPort?: string; host?: string; domain?: string; metricsPort?: string; metricsHost?: string; metrics?: boolean; example?: string }) =>
      run(server(opts, io)),
    );

  addRouterCommand(program, io, run);
  program
    .command('login')
    .description('save the API URL and token the CLI uses (checked against the API first)')
    .requiredOption('--url <url>', 'the Slipway API, e.g. http://127.0.0.1:4400')
    .requiredOption('--token <token>', 'an API token')
    .addHelpText('after', '\nSLIPWAY_URL and SLIPWAY_TOKEN, when set, win over the saved settings.')
    .action((opts: { url: string; token: string }) => run(login(opts, io)));

  addApiCommands(program, io, run);
  program.addHelpText('after', '\nExit codes: 0 ok, 1 invalid input, 2 usage or settings, 3 not found, 4 the API failed or is unreachable,\n5 a deploy waited for with --wait failed or errored; `instances exec` exits with the command\'s own code.');
  return program;
}

/** Runs the CLI with an argv as Node gives it; returns the exit code. */
export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    io.err(`error: ${(e as Error).message}`);
    return ExitCode.usage;
  }
  return code;
}

/** Commander's accumulator for an option given several times. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
