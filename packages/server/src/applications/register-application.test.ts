// Registering from a repository's other folder of manifests (`path`), as the guestbook's
// .slipway-docker/ is registered: the folder is read at the branch's head, and a name that .slipway/
// also holds is refused, since deploys of new commits would read that one instead.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@slipway/core';
import { Repositories } from '../git/repositories.ts';
import { openDatabase, type StoreDatabase } from '../store/open-database.ts';
import { commitAll, guestbookRepository } from '../test-support/example-repository.ts';
import { manifestsFolder, registerApplication } from './register-application.ts';

let dir: string;
let repository: string;
let store: StoreDatabase;
let repositories: Repositories;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-register-'));
  repository = guestbookRepository();
  store = await openDatabase({ sqlitePath: join(dir, 'slipway.db') });
  repositories = new Repositories(join(dir, 'git'));
}, 30_000);

afterAll(async () => {
  await store?.close();
  for (const folder of [dir, repository]) if (folder) rmSync(folder, { recursive: true, force: true });
});

const register = (from: { path?: string; branch?: string }) => registerApplication({ db: store.db, repositories }, 'default', { repository, ...from });

describe('registering an application from a folder of its repository', () => {
  it('reads .slipway/ by default, and the folder path names otherwise', async () => {
    expect((await register({})).application.name).toBe('guestbook');
    const docker = await register({ path: '.slipway-docker' });
    expect(docker).toMatchObject({ created: true, application: { name: 'guestbook-docker', repositoryUrl: repository } });
    expect((await register({ path: './.slipway-docker/' })).created).toBe(false);
  });

  it('says which folder holds no manifest', async () => {
    await expect(register({ path: 'deploy' })).rejects.toThrow(new RegExp(`^${repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no deploy/\\*\\.yaml at main \\([0-9a-f]{12}\\); add the application's manifest there$`));
  });

  it('refuses a path outside the repository', () => {
    for (const path of ['/etc', '../elsewhere', 'a/../../b', '.']) expect(() => manifestsFolder(path)).toThrow(InputError);
    expect(manifestsFolder(undefined)).toBe('.slipway');
    expect(manifestsFolder('deploy\\docker/')).toBe('deploy/docker');
  });

  it('refuses an Application that .slipway/ holds under the same name', async () => {
    mkdirSync(join(repository, 'other'), { recursive: true });
    cpSync(join(repository, '.slipway', 'guestbook.yaml'), join(repository, 'other', 'guestbook.yaml'));
    commitAll(repository, 'the same application in another folder');
    await expect(register({ path: 'other' })).rejects.toThrow('.slipway/ of ' + repository + ' at main also holds an Application named "guestbook", which deploys of new commits would read instead; give the one in other/ another name');
  });
});
