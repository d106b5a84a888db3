import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { RunningServer } from '../start-server.ts';
import type { StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import { registerApplication } from './register-application.ts';

const AUTHOR = { GIT_AUTHOR_NAME: 'Slipway', GIT_AUTHOR_EMAIL: 'slipway@localhost', GIT_COMMITTER_NAME: 'Slipway', GIT_COMMITTER_EMAIL: 'slipway@localhost' };

/**
 * A git repository of the example under the server's home (made once, from the example folder), so
 * the example runs from git like any application and users can branch it to try more environments.
 */
export function exampleRepository(home: string, exampleDir: string): { path: string; created: boolean } {
  const path = join(home, 'examples', basename(exampleDir));
  if (existsSync(join(path, '.git'))) return { path, created: false };
  mkdirSync(path, { recursive: true });
  cpSync(exampleDir, path, {
    recursive: true,
    filter: (source) => !relative(exampleDir, source).split(sep).some((part) => part === 'node_modules' || part === 'dist' || part === 'data' || part === '.git'),
  });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path, env: { ...process.env, ...AUTHOR }, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', `${basename(exampleDir)} example`);
  return { path, created: true };
}

export interface ExampleProgress {
  repository(path: string, created: boolean): void;
  registered(app: string, version: string): void;
  deploying(env: StoredEnvironment, deploy: StoredDeploy): void;
}

/**
 * What `npm start` does after the server is up: registers the example application from its
 * repository and brings up its permanent `main` environment (once; later starts find it running).
 * Resolves with the environment when its deploy ended, whatever the outcome.
 */
export async function startExample(server: RunningServer, home: string, exampleDir: string, progress: ExampleProgress, workspace = 'default'): Promise<StoredEnvironment> {
  const repo = exampleRepository(home, exampleDir);
  progress.repository(repo.path, repo.created);
  const { application, version } = await registerApplication({ db: server.store.db, repositories: server.repositories }, workspace, { repository: repo.path, branch: 'main' });
  progress.registered(application.name, version);
  let env = await server.environments.getLive(workspace, 'main');
  if (!env) {
    const created = await server.service.create(workspace, { app: application.name, kind: 'permanent', id: 'main', branch: 'main' }, 'npm start');
    env = created.environment;
    progress.deploying(env, created.deploy);
  }
  const id = env.id;
  for (;;) {
    await server.engine.idle(id);
    const active = await server.environments.hasActiveDeploy(id);
    if (!active) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return (await server.environments.getById(id))!;
}
