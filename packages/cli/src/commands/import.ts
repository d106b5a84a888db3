import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import pc from 'picocolors';
import { stringify } from 'yaml';
import { importCompose, importReleaseTemplate, readReleasePointer, validateManifestFiles } from '@slipway/core';
import type { ApplicationManifestInput, Diagnostic, ParseResult } from '@slipway/contract';
import { plural, printDiagnostics } from '../diagnostics-output.ts';
import { ExitCode, type CommandIO } from '../io.ts';
import { displayPath } from '../manifest-files.ts';

export interface ImportOptions {
  /** Compose file, or (release) the repository or its .release/ folder. */
  path: string;
  /** Write the manifest here instead of stdout. */
  outputFile?: string;
  /** Application name; derived from the input when absent. */
  name?: string;
  /** Fail (exit 1, nothing written) when there is any warning, and list every one. */
  strict?: boolean;
  /** List every warning instead of the summary by key. */
  verbose?: boolean;
  /** (compose) Files merged over `path` in order, as `docker compose -f path -f file…` does. */
  files?: string[];
  /** (compose) Do not read compose.override.yaml / docker-compose.override.yml beside a default-named file. */
  noOverride?: boolean;
  /** (compose) Variables files read instead of the project's .env, later ones winning. */
  envFiles?: string[];
  /** (compose) The shell's variables for ${VAR}; the process's own environment when absent. */
  shellEnvironment?: Readonly<Record<string, string | undefined>>;
}

/** Converts a Docker Compose file into an Application manifest. */
export async function importComposeCommand(options: ImportOptions, io: CommandIO): Promise<number> {
  if (!isFile(options.path)) {
    io.err(`${pc.red('error')}   ${options.path}: no such file; give the path of a Compose file (compose.yaml, docker-compose.yml)`);
    return ExitCode.usage;
  }
  const folder = dirname(resolve(options.path));
  for (const extra of options.files ?? []) {
    if (!isFile(extra)) {
      io.err(`${pc.red('error')}   ${extra}: no such file; -f takes the path of a Compose file to merge over the first`);
      return ExitCode.usage;
    }
  }
  const overrides = options.files?.length ? options.files : options.noOverride ? [] : defaultOverride(options.path);
  if (!options.files?.length && overrides.length) {
    io.err(`${pc.cyan('note')}    also read ${displayPath(overrides[0]!)}, merged over ${displayPath(options.path)} as docker compose does; --no-override to import the file alone`);
  }
  for (const envFile of options.envFiles ?? []) {
    if (!isFile(envFile)) {
      io.err(`${pc.red('error')}   ${envFile}: no such file; --env-file takes a file of KEY=value lines`);
      return ExitCode.usage;
    }
  }
  const result = importCompose({
    ...(overrides.length ? { overrides: overrides.map((f) => ({ file: displayPath(f), text: readFileSync(f, 'utf8') })) } : {}),
    ...(options.envFiles?.length ? { envFiles: options.envFiles.map((f) => ({ file: displayPath(f), text: readFileSync(f, 'utf8') })) } : {}),
    shellEnvironment: options.shellEnvironment ?? process.env,
    file: displayPath(options.path),
    text: readFileSync(options.path, 'utf8'),
    ...(options.name ? { name: options.name } : {}),
    readFile: (relativePath: string) => {
      const full = resolve(folder, relativePath);
      return isFile(full) ? readFileSync(full, 'utf8') : undefined;
    },
  });
  return finish(result, options, io);
}

/** Converts a Release application template (.release/application_template.yaml) into an Application manifest. */
export async function importReleaseCommand(options: ImportOptions, io: CommandIO): Promise<number> {
  const folder = existsSync(join(options.path, '.release')) ? join(options.path, '.release') : options.path;
  let templatePath = join(folder, 'application_template.yaml');
  let envPath = join(folder, 'environment_variables.yaml');
  if (!isFile(templatePath)) {
    // A repository may instead point Release at a Compose file or a template elsewhere, in .release.yaml.
    const repo = basename(folder) === '.release' ? dirname(folder) : folder;
    const pointerPath = ['.release.yaml', '.release.yml'].map((f) => join(repo, f)).find(isFile);
    if (!pointerPath) {
      io.err(`${pc.red('error')}   ${options.path}: no .release/application_template.yaml and no .release.yaml here; give a repository folder or its .release/ folder`);
      return ExitCode.usage;
    }
    const pointer = readReleasePointer(readFileSync(pointerPath, 'utf8'), displayPath(pointerPath));
    if (!pointer.value) {
      printDiagnostics(io, pointer);
      io.err(pc.red(`✗ nothing imported: ${plural(pointer.errors.length, 'error')}`));
      return ExitCode.invalid;
    }
    printDiagnostics(io, { errors: [], warnings: pointer.warnings });
    const target = join(repo, pointer.value.compose ?? pointer.value.applicationTemplate!);
    if (!isFile(target)) {
      io.err(`${pc.red('error')}   ${displayPath(pointerPath)}: it names ${displayPath(target)}, which is not a file of the repository`);
      return ExitCode.invalid;
    }
    io.err(`${pc.cyan('note')}    ${displayPath(pointerPath)} points at ${displayPath(target)}; importing that`);
    if (pointer.value.compose) return importComposeCommand({ ...options, path: target }, io);
    templatePath = target;
    if (pointer.value.environmentVariables) envPath = join(repo, pointer.value.environmentVariables);
  }
  const result = importReleaseTemplate({
    templateFile: displayPath(templatePath),
    templateText: readFileSync(templatePath, 'utf8'),
    ...(isFile(envPath) ? { envFile: displayPath(envPath), envText: readFileSync(envPath, 'utf8') } : {}),
    ...(options.name ? { name: options.name } : {}),
  });
  return finish(result, options, io);
}

function finish(result: ParseResult<ApplicationManifestInput>, options: ImportOptions, io: CommandIO): number {
  if (options.strict && result.warnings.length) {
    printDiagnostics(io, { errors: [...result.errors, ...result.warnings.map((w) => ({ ...w, severity: 'error' as const }))], warnings: [] });
    io.err(pc.red(`✗ nothing imported: --strict, and ${plural(result.warnings.length, 'warning')}${result.errors.length ? ` and ${plural(result.errors.length, 'error')}` : ''}`));
    return ExitCode.invalid;
  }
  printDiagnostics(io, { errors: result.errors, warnings: options.verbose || result.warnings.length <= SUMMARY_THRESHOLD ? result.warnings : [] });
  if (!options.verbose && result.warnings.length > SUMMARY_THRESHOLD) printSummary(io, result.warnings);
  if (!result.value || result.errors.length) {
    io.err(pc.red(`✗ nothing imported: ${plural(result.errors.length, 'error')}`));
    return ExitCode.invalid;
  }
  const text = `# Imported by \`slipway import\` from ${basename(options.path)}; review the warnings it printed.\n${stringify(result.value, { lineWidth: 0 })}`;
  // The importer's output must itself be a valid manifest; say so loudly if it is not.
  const check = validateManifestFiles([{ file: options.outputFile ?? '<output>', text }]);
  if (check.errors.length) {
    printDiagnostics(io, { errors: check.errors, warnings: [] });
    io.err(pc.red('✗ the imported manifest does not validate; this is a bug in the importer, please report it with the input file'));
    return ExitCode.invalid;
  }
  if (options.outputFile) {
    writeFileSync(options.outputFile, text);
    io.err(`${pc.green('✓')} wrote ${options.outputFile} (${plural(result.warnings.length, 'warning')})`);
  } else io.out(text);
  return ExitCode.ok;
}

/** Up to this many warnings are listed one by one; more are summarized by key. */
const SUMMARY_THRESHOLD = 5;

/** What could not be carried over, by key, with counts and the first place of each. */
function printSummary(io: CommandIO, warnings: Diagnostic[]): void {
  const byKey = new Map<string, { count: number; first: Diagnostic }>();
  for (const w of warnings) {
    const key = summaryKey(w.path);
    const seen = byKey.get(key);
    if (seen) seen.count++;
    else byKey.set(key, { count: 1, first: w });
  }
  io.err(`${pc.yellow('warning')} ${plural(warnings.length, 'warning')}: not carried over as written, by key (--verbose lists each, --strict refuses them):`);
  const rows = [...byKey].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]));
  const width = Math.max(...rows.map(([key]) => key.length));
  for (const [key, { count, first }] of rows) {
    const at = [first.file, first.line, first.column].filter((p) => p !== undefined).join(':');
    io.err(`  ${key.padEnd(width)}  ${String(count).padStart(3)}  first at ${at}`);
  }
}

/** services.web.ports[0] → ports; services[2].envs[1] → envs; networks → networks. */
function summaryKey(path: string | undefined): string {
  if (!path) return '(the file)';
  const unit = /^(services|jobs|cron_jobs)(?:\.[^.[]+|\[\d+\]|\["[^"]*"\])(.*)$/.exec(path);
  const rest = (unit ? unit[2]! : path).replace(/\[[^\]]*\]/g, '').replace(/^\./, '');
  return rest || (unit ? unit[1]! : path);
}

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** The override file docker compose reads beside a default-named file when no -f is given. */
function defaultOverride(path: string): string[] {
  const name = basename(path);
  if (!DEFAULT_FILES.includes(name)) return [];
  const stem = name.replace(/\.ya?ml$/, '');
  const candidates = [`${stem}.override.yaml`, `${stem}.override.yml`, ...DEFAULT_FILES.map((f) => f.replace(/\.ya?ml$/, '.override$&'))];
  const found = candidates.map((c) => join(dirname(path), c)).find(isFile);
  return found ? [found] : [];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
