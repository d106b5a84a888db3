// Webhook payloads shaped as GitHub sends them (the examples of GitHub's webhook events
// documentation, trimmed of fields nobody reads but keeping their nesting), and deliveries signed
// with a secret as GitHub signs them: X-Hub-Signature-256 = sha256=HMAC-SHA256(secret, raw body).
import { createHmac, randomUUID } from 'node:crypto';

const user = (login: string) => ({
  login,
  id: 21031067,
  node_id: 'MDQ6VXNlcjIxMDMxMDY3',
  avatar_url: 'https://avatars1.githubusercontent.com/u/21031067?v=4',
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  type: 'User',
  site_admin: false,
});

export function repositoryPayload(fullName: string, defaultBranch = 'main') {
  const [owner, name] = fullName.split('/') as [string, string];
  return {
    id: 186853002,
    node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
    name,
    full_name: fullName,
    private: false,
    owner: user(owner),
    html_url: `https://github.com/${fullName}`,
    url: `https://api.github.com/repos/${fullName}`,
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `https://github.com/${fullName}.git`,
    default_branch: defaultBranch,
    archived: false,
    disabled: false,
    visibility: 'public',
  };
}

export interface PullRequestFixture {
  action: 'opened' | 'reopened' | 'synchronize' | 'closed' | 'labeled' | 'unlabeled' | 'edited';
  repository: string;
  number: number;
  head: { ref: string; sha: string; repository?: string };
  base: { ref: string; sha?: string };
  labels?: string[];
  label?: string;
  merged?: boolean;
  before?: string;
}

export function pullRequestPayload(fixture: PullRequestFixture) {
  const repository = repositoryPayload(fixture.repository);
  const headRepository = fixture.head.repository ? repositoryPayload(fixture.head.repository) : repository;
  const closed = fixture.action === 'closed';
  const label = (name: string) => ({ id: 1362934389, node_id: 'MDU6TGFiZWwxMzYyOTM0Mzg5', url: `https://api.github.com/repos/${fixture.repository}/labels/${name}`, name, color: 'ededed', default: false, description: null });
  return {
    action: fixture.action,
    number: fixture.number,
    ...(fixture.before ? { before: fixture.before, after: fixture.head.sha } : {}),
    ...(fixture.label ? { label: label(fixture.label) } : {}),
    pull_request: {
      url: `https://api.github.com/repos/${fixture.repository}/pulls/${fixture.number}`,
      id: 279147437,
      node_id: 'MDExOlB1bGxSZXF1ZXN0Mjc5MTQ3NDM3',
      html_url: `https://github.com/${fixture.repository}/pull/${fixture.number}`,
      number: fixture.number,
      state: closed ? 'closed' : 'open',
      locked: false,
      title: 'Update the README with new information.',
      user: user('Codertocat'),
      body: 'This is a pretty simple change that we need to pull into main.',
      created_at: '2019-05-15T15:20:33Z',
      updated_at: '2019-05-15T15:20:33Z',
      closed_at: closed ? '2019-05-15T15:30:00Z' : null,
      merged_at: fixture.merged ? '2019-05-15T15:30:00Z' : null,
      merge_commit_sha: null,
      assignees: [],
      requested_reviewers: [],
      labels: (fixture.labels ?? []).map(label),
      draft: false,
      head: { label: `${headRepository.owner.login}:${fixture.head.ref}`, ref: fixture.head.ref, sha: fixture.head.sha, user: headRepository.owner, repo: headRepository },
      base: { label: `${repository.owner.login}:${fixture.base.ref}`, ref: fixture.base.ref, sha: fixture.base.sha ?? '0'.repeat(40), user: repository.owner, repo: repository },
      author_association: 'OWNER',
      merged: fixture.merged ?? false,
      mergeable: null,
      comments: 0,
      commits: 1,
      additions: 1,
      deletions: 1,
      changed_files: 1,
    },
    repository,
    sender: user('Codertocat'),
  };
}

export function pushPayload(input: { repository: string; ref: string; before: string; after: string; created?: boolean; deleted?: boolean; defaultBranch?: string }) {
  const repository = repositoryPayload(input.repository, input.defaultBranch);
  const headCommit = input.deleted
    ? null
    : { id: input.after, tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433', distinct: true, message: 'Update README.md', timestamp: '2019-05-15T15:20:41Z', url: `https://github.com/${input.repository}/commit/${input.after}`, author: { name: 'Codertocat', email: '21031067+Codertocat@users.noreply.github.com', username: 'Codertocat' }, committer: { name: 'Codertocat', email: '21031067+Codertocat@users.noreply.github.com', username: 'Codertocat' }, added: [], removed: [], modified: ['README.md'] };
  return {
    ref: input.ref,
    before: input.before,
    after: input.after,
    created: input.created ?? false,
    deleted: input.deleted ?? false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${input.repository}/compare/${input.before.slice(0, 12)}...${input.after.slice(0, 12)}`,
    commits: headCommit ? [headCommit] : [],
    head_commit: headCommit,
    repository,
    pusher: { name: 'Codertocat', email: '21031067+Codertocat@users.noreply.github.com' },
    sender: user('Codertocat'),
  };
}

/** A delivery as GitHub posts it: the raw JSON body and its headers, signed with the secret. */
export function signedDelivery(event: string, payload: unknown, secret: string, deliveryId: string = randomUUID()): { body: string; headers: Record<string, string>; deliveryId: string } {
  const body = JSON.stringify(payload);
  return {
    body,
    deliveryId,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '292430182',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}
