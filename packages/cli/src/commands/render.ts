import pc from 'picocolors';
import { stringify } from 'yaml';
import { renderEnvironment, validateManifestFiles } from '@slipway/core';
import type { ApplicationManifest, EnvironmentKind, RenderedEnvironment, RuntimeName } from '@slipway/contract';
import { printDiagnostics } from '../diagnostics-output.ts';
import { ExitCode, type CommandIO } from '../io.ts';
import { readManifestFiles } from '../manifest-files.ts';

export interface RenderOptions {
  path: string;
  envId: string;
  branch: string;
  commit?: string;
  kind: EnvironmentKind;
  template?: string;
  /** Which application, when the path holds several. */
  app?: string;
  domain: string;
  routerPort?: number;
  scheme: 'http' | 'https';
  runtime: RuntimeName;
  output: 'yaml' | 'json' | 'summary';
}

/** Prints the fully resolved spec of one environment of an application, as the server would run it. */
export async function render(options: RenderOptions, io: CommandIO): Promise<number> {
  const files = readManifestFiles(options.path);
  if (!files) {
    io.err(`${pc.red('error')}   ${options.path}: no such file or folder`);
    return ExitCode.usage;
  }
  const loaded = validateManifestFiles(files);
  if (loaded.errors.length) {
    printDiagnostics(io, loaded);
    return ExitCode.invalid;
  }
  const apps = (loaded.value ?? []).map((l) => l.manifest).filter((m): m is ApplicationManifest => m.kind === 'Application');
  const app = options.app ? apps.find((a) => a.metadata.name === options.app) : apps[0];
  if (!app || (!options.app && apps.length > 1)) {
    const names = apps.map((a) => a.metadata.name).join(', ');
    io.err(
      `${pc.red('error')}   ${options.path}: ${
        apps.length === 0 ? 'holds no Application' : options.app ? `holds no Application "${options.app}"; it has ${names}` : `holds several applications (${names}); choose one with --app`
      }`,
    );
    return ExitCode.usage;
  }
  const result = renderEnvironment(
    app,
    { id: options.envId, kind: options.kind, branch: options.branch, ...(options.commit ? { commit: options.commit } : {}), ...(options.template ? { template: options.template } : {}) },
    { domain: options.domain, scheme: options.scheme, ...(options.routerPort ? { routerPort: options.routerPort } : {}), defaultRuntime: options.runtime },
  );
  printDiagnostics(io, { errors: result.errors, warnings: [...loaded.warnings, ...result.warnings] });
  if (!result.value) return ExitCode.invalid;
  if (options.output === 'json') io.out(JSON.stringify(result.value, null, 2));
  else if (options.output === 'yaml') io.out(stringify(result.value, { lineWidth: 0 }));
  else io.out(summary(result.value));
  return ExitCode.ok;
}

/** A short account of a rendered environment for people: where it is reachable and what runs in which order. */
export function summary(env: RenderedEnvironment): string {
  const lines = [
    `${pc.bold(env.app)} environment ${pc.bold(env.envId)} (${env.kind}, template ${env.template}, runtime ${env.runtime}) from ${env.branch}${env.commit ? `@${env.commit.slice(0, 7)}` : ''}`,
  ];
  if (env.ttlMs) lines.push(`  expires ${Math.round(env.ttlMs / 3_600_000)}h after creation`);
  lines.push('  routes:');
  for (const r of env.routes) lines.push(`    ${pc.cyan(`${r.host}${r.pathPrefix}`)} → ${r.service}${r.static ? ' (static)' : r.port ? `:${r.port}` : ''}`);
  lines.push('  services:');
  for (const s of env.services) {
    const what = s.static ? 'static site' : s.run ? `run: ${[s.run.command].flat().join(' ')}` : s.image ?? 'build';
    lines.push(`    ${s.name} ×${s.replicas} — ${what}${env.urls[s.name] ? `  ${pc.cyan(env.urls[s.name]!)}` : ''}`);
  }
  for (const name of ['setup', 'patch', 'teardown'] as const) {
    const steps = env.workflows[name].map((step) => step.tasks.map((t) => ('name' in t ? `${t.kind === 'job' ? 'jobs' : 'services'}.${t.name}` : 'environment.remove')).join(' + '));
    lines.push(`  ${name}: ${steps.join(' → ')}`);
  }
  return lines.join('\n');
}
