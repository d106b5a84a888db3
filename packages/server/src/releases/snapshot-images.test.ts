// Snapshots record the images the docker runtime built: the guestbook (api, worker and web built
// from their Dockerfiles, FROM a local stand-in: nothing is pulled) deployed through the API, then
// a snapshot of a set holding it names each service's image id — the one the engine has under the
// driver's tag — and one digest over them; a commit never built gets none. Skipped, with the
// reason, when no Docker or Podman engine answers.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotResponse } from '@slipway/contract';
import { detectDockerEngine } from '@slipway/drivers';
import { ensureBaseImages, ensureNodeStandIn } from '@slipway/drivers/docker-test-images';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git, guestbookRepository } from '../test-support/example-repository.ts';
import { removeCommitImageTags } from '../test-support/docker-image-tags.ts';
import { httpRequest as http, startTestServer, waitForDeploy as deployEnded, type TestServer } from '../test-support/test-server.ts';
import { imageFields } from './snapshot-images.ts';

const detected = await detectDockerEngine();
const skipReason = detected.found ? undefined : `${detected.message} (scripts/setup-podman.sh sets one up)`;
const APP = 'guestbook-docker';

describe('imageFields', () => {
  it('gives one image as the digest, several as a digest over service=id lines in service order', () => {
    expect(imageFields(undefined)).toEqual({});
    expect(imageFields({})).toEqual({});
    expect(imageFields({ api: 'sha256:aa' })).toEqual({ images: { api: 'sha256:aa' }, imageDigest: 'sha256:aa' });
    // The kubernetes runtime's pushed image: the reference is kept, its digest is the digest.
    expect(imageFields({ api: 'registry.example.com/team/shop-api@sha256:dd' })).toEqual({ images: { api: 'registry.example.com/team/shop-api@sha256:dd' }, imageDigest: 'sha256:dd' });
    const two = imageFields({ web: 'sha256:bb', api: 'sha256:aa' });
    expect(Object.keys(two.images!)).toEqual(['api', 'web']);
    expect(two.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(imageFields({ api: 'sha256:aa', web: 'sha256:bb' }).imageDigest).toBe(two.imageDigest);
    expect(imageFields({ api: 'sha256:aa', web: 'sha256:cc' }).imageDigest).not.toBe(two.imageDigest);
  });
});

describe.skipIf(skipReason !== undefined)(`snapshots of an application on the docker runtime${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let test: TestServer;
  let token: string;
  let repository: string;
  let configRepo: string;
  const commits: string[] = [];
  let imageless: SnapshotResponse;
  const api = (method: string, path: string, body?: unknown) => http(Number(new URL(test.server.apiUrl).port), method, path, { token, body });

  const waitForDeploy = (id: string, timeoutMs: number) => deployEnded(test.server, token, id, timeoutMs, 250);

  beforeAll(async () => {
    if (!detected.found) return;
    await ensureBaseImages(detected.docker);
    await ensureNodeStandIn(detected.docker);
    repository = guestbookRepository();
    commits.push(git(repository, 'rev-parse', 'HEAD'));
    configRepo = join(repository, '..', `${repository.split('/').pop()}-release-config`);
    mkdirSync(join(configRepo, '.slipway'), { recursive: true });
    writeFileSync(
      join(configRepo, '.slipway/release.yaml'),
      `apiVersion: lowops.manifests.v1
kind: ReleaseTrack
metadata: { name: guestbook-track }
spec:
  releaseStages:
    - environments: [staging]
---
apiVersion: lowops.manifests.v1
kind: ApplicationSet
metadata: { name: guestbook, parent: guestbook-track }
spec:
  applications: [${APP}]
`,
    );
    git(configRepo, 'init', '-q', '-b', 'main');
    commitAll(configRepo, 'release config');
    test = await startTestServer('snapshot-images');
    token = (await createApiToken(test.server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
    expect((await api('POST', '/api/v1/applications', { repository, path: '.slipway-docker' })).status).toBe(201);
    expect((await api('POST', '/api/v1/tracks', { repository: configRepo })).status).toBeLessThan(300);
    expect((await api('POST', '/api/v1/sets', { repository: configRepo })).status).toBeLessThan(300);
  }, 60_000);

  afterAll(async () => {
    await test?.close();
    for (const dir of [repository, configRepo]) if (dir) rmSync(dir, { recursive: true, force: true });
    // The images stay on the engine as a cache; only their tags for this run's commits go.
    if (detected.found) await removeCommitImageTags(detected.docker, APP, commits);
  }, 60_000);

  it('records no image for a commit nothing built yet', async () => {
    const answer = await api('POST', '/api/v1/snapshots', { set: 'guestbook' });
    expect(answer.status, answer.text).toBe(201);
    const snapshot = (imageless = answer.json() as SnapshotResponse);
    expect(snapshot.components).toMatchObject([{ app: APP, commit: commits[0] }]);
    expect(snapshot.components[0]!.imageDigest).toBeUndefined();
    expect(snapshot.components[0]!.images).toBeUndefined();
  });

  it('records each built service’s image id, as the engine has it, once an environment ran the commit', async () => {
    const created = await api('POST', '/api/v1/environments', { app: APP, branch: 'main' });
    expect(created.status, created.text).toBe(202);
    const deploy = await waitForDeploy(created.json().deploy.id, 180_000);
    expect(deploy.state, JSON.stringify(deploy.tasks)).toBe('succeeded');
    // The deploy says which image each built service runs.
    expect(Object.keys(deploy.images ?? {}).sort()).toEqual(['api', 'web', 'worker']);
    const docker = detected.found ? detected.docker : undefined;
    for (const [service, id] of Object.entries(deploy.images!)) {
      const tagged = (await docker!.listImages({ filters: { label: [`dev.slipway.app=${APP}`] } })).filter((i) => (i.RepoTags ?? []).some((t) => t.includes(`/${APP}-${service}:${commits[0]!.slice(0, 12)}-`)));
      expect(tagged.map((i) => i.Id), service).toContain(id);
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    }

    const snapshot = (await api('POST', '/api/v1/snapshots', { set: 'guestbook' })).json() as SnapshotResponse;
    const component = snapshot.components[0]!;
    expect(component.images).toEqual(deploy.images);
    expect(component.imageDigest).toBe(imageFields(deploy.images).imageDigest);
    // The digest is part of what the snapshot is: another id and alias than the image-less one of the same commit.
    expect(snapshot.id).not.toBe(imageless.id);
    expect(snapshot.alias).not.toBe(imageless.alias);
    expect(((await api('POST', '/api/v1/snapshots', { set: 'guestbook' })).json() as SnapshotResponse).id).toBe(snapshot.id);

    // The environment is deleted; the images it ran still name the commit's build.
    expect((await api('DELETE', '/api/v1/environments/main')).status).toBe(202);
    const page = join(repository, 'web/src/index.html');
    writeFileSync(page, readFileSync(page, 'utf8').replace('</body>', '<p>v2</p></body>'));
    commits.push(commitAll(repository, 'page v2'));
    const next = (await api('POST', '/api/v1/snapshots', { set: 'guestbook' })).json() as SnapshotResponse;
    expect(next.components[0]).toMatchObject({ commit: commits[1] });
    expect(next.components[0]!.imageDigest).toBeUndefined();
    const pinned = (await api('POST', '/api/v1/snapshots', { set: 'guestbook', commits: { [APP]: commits[0] } })).json() as SnapshotResponse;
    expect(pinned.components[0]!.imageDigest).toBe(component.imageDigest);
  }, 240_000);
});
