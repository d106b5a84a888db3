import { describe, expect, it } from 'vitest';
import type { StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { DeployEvent } from '../workflows/workflow-engine.ts';
import { createSecretMasker } from '@slipway/core';
import type { PreviewStore } from '../store/previews.ts';
import { commitStateOf, firstUrl, PreviewNotifier, previewComment, statusDescription } from './preview-notifier.ts';
import { boundDescription, type SourceReporter } from './source-provider.ts';
import { putApplication } from '../store/applications.ts';
import { Leases } from '../store/leases.ts';
import { openDatabase } from '../store/open-database.ts';
import { PullRequestComments } from './pull-request-comments.ts';

const env = { envId: 'pr-42', app: 'web', urls: { web: 'http://web-pr-42.example.test' }, kind: 'ephemeral' } as unknown as StoredEnvironment;
const deploy = (over: Partial<StoredDeploy>): StoredDeploy => ({ workflow: 'patch', state: 'running', rendered: { urls: { web: 'http://web-pr-42.example.test', api: 'http://api-pr-42.example.test' } }, ...over }) as unknown as StoredDeploy;
const event = (type: 'started' | 'ended', over: Partial<StoredDeploy> = {}): DeployEvent => ({ type, environment: env, deploy: deploy(over) });

describe('commit statuses of deploys', () => {
  it('is pending at the start and success, failure or error at the end', () => {
    expect(commitStateOf(event('started'))).toBe('pending');
    expect(commitStateOf(event('ended', { state: 'succeeded' }))).toBe('success');
    expect(commitStateOf(event('ended', { state: 'failed' }))).toBe('failure');
    expect(commitStateOf(event('ended', { state: 'errored' }))).toBe('error');
    expect(commitStateOf(event('ended', { state: 'cancelled' }))).toBe('error');
  });

  it('describes the deploy within 140 characters', () => {
    expect(statusDescription(event('started'))).toBe('Deploying pr-42 (patch)…');
    expect(statusDescription(event('ended', { state: 'succeeded' }))).toBe('pr-42 is ready');
    const long = statusDescription(event('ended', { state: 'failed', reason: `the .slipway/ manifests are not valid: ${'x'.repeat(300)}` }));
    expect(long).toHaveLength(140);
    expect(long.endsWith('…')).toBe(true);
    expect(boundDescription('a\n  b')).toBe('a b');
  });

  it('links to the first URL of the deploy, else of the environment', () => {
    expect(firstUrl(env, deploy({}))).toBe('http://web-pr-42.example.test');
    expect(firstUrl(env, deploy({ rendered: { urls: {} } as StoredDeploy['rendered'] }))).toBe('http://web-pr-42.example.test');
  });
});

describe('the pull request comment', () => {
  it('lists every URL under a hidden marker', () => {
    const body = previewComment({ app: 'web', envId: 'pr-42', state: 'ready', commit: 'a'.repeat(40), urls: { web: 'http://w', api: 'http://a' } });
    expect(body.split('\n')[0]).toBe('<!-- slipway-preview app=web -->');
    expect(body).toContain('`pr-42` ✅ ready at aaaaaaaaaaaa');
    expect(body).toContain('| web | http://w |\n| api | http://a |');
  });

  it('says why a deploy failed, and when the environment is gone', () => {
    expect(previewComment({ app: 'web', envId: 'pr-42', state: 'failed', urls: {}, reason: 'job migrate exited 1' })).toContain('> job migrate exited 1');
    const removed = previewComment({ app: 'web', envId: 'pr-42', state: 'removed', urls: { web: 'http://w' } });
    expect(removed).toContain('torn down');
    expect(removed).not.toContain('http://w');
  });
});

describe('secrets in what is posted', () => {
  it('masks every form of the workspace’s secrets in the commit status and the comment', async () => {
    const secret = 'pr-comment-s3cret';
    const store = await openDatabase({ sqlitePath: ':memory:' });
    const { application } = await putApplication(store.db, { workspace: 'default', manifest: { apiVersion: 'slipway.dev/v1', kind: 'Application', metadata: { name: 'web' }, spec: { services: [] } } as never, source: 'api' });
    const link = { id: 'l1', applicationId: application.id, provider: 'github', repository: 'acme/web', pullRequest: 7 };
    const previews = { linkOfEnvironment: async () => link, getLink: async () => link, updateLink: async () => undefined } as unknown as PreviewStore;
    const posted: string[] = [];
    const reporter = {
      setCommitStatus: async (status: { description: string }) => void posted.push(status.description),
      upsertPullRequestComment: async (comment: { body: string }) => {
        posted.push(comment.body);
        return { commentId: 1 };
      },
    } as unknown as SourceReporter;
    const masking = { maskerOf: async () => createSecretMasker([secret]) };
    const comments = new PullRequestComments({ db: store.db, leases: new Leases(store.db) });
    const notifier = new PreviewNotifier({ previews, reporters: { github: reporter }, masking, comments });
    const reason = `jobs.migrate failed: ${secret} ${Buffer.from(secret).toString('base64')}`;
    notifier.onDeploy(event('ended', { state: 'failed', reason, commit: 'b'.repeat(40) }));
    await notifier.idle();
    await notifier.stop();
    await comments.stop();
    await store.close();
    expect(posted).toHaveLength(2);
    for (const text of posted) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      expect(text).toContain('jobs.migrate failed: *** ***');
    }
  });
});
