// Every runtime checks an environment's commit out the same way: a bare mirror of the repository
// under `repos/`, a worktree of the commit under `checkouts/<env key>/<sha>/` (the build context,
// the folder processes run in, the root of a static site), one change at a time per mirror and per
// checkout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { environmentKey, type DriverProblem, type EnvironmentRef, type PrepareSourceRequest } from '@slipway/core';
import { ensureWorktree, GitError, mirrorPath, mirrorWithCommit, worktreeIfPresent } from './git-source.ts';
import { problem } from './driver-problem.ts';
import type { KeyedQueue } from './keyed-queue.ts';

export function checkoutPath(stateDir: string, env: EnvironmentRef, sha: string): string {
  return join(stateDir, 'checkouts', environmentKey(env), sha);
}

/** Whether prepareSource checked `commit` out for the environment. */
export function isCheckedOut(stateDir: string, env: EnvironmentRef, commit: string): boolean {
  return existsSync(join(checkoutPath(stateDir, env, commit), '.git'));
}

/** Why apply or a job cannot run from a commit prepareSource did not check out. */
export function notCheckedOut(commit: string): string {
  return `commit ${commit} is not checked out for this environment: call prepareSource first`;
}

/**
 * Checks the request's commit out for its environment, fetching the repository's mirror only when
 * the commit is not in it yet. Gives the full sha and the checkout's folder, or the problem: a git
 * failure (unknown commit, unreachable repository) is `failed`, anything else `errored`.
 */
export async function checkOutCommit(stateDir: string, locks: KeyedQueue, request: Pick<PrepareSourceRequest, 'env' | 'repository' | 'commit'>): Promise<{ sha: string; checkout: string } | DriverProblem> {
  const reposDir = join(stateDir, 'repos');
  let sha = request.commit;
  let checkout = checkoutPath(stateDir, request.env, sha);
  try {
    // A full sha the mirror holds (the deploy's commit, resolved by the server) needs no rev-parse.
    const present = await locks.run(`checkout:${checkout}`, () => worktreeIfPresent(mirrorPath(reposDir, request.repository), checkout, sha));
    if (!present) {
      const found = await locks.run(`repo:${request.repository}`, () => mirrorWithCommit(reposDir, request.repository, request.commit));
      sha = found.sha;
      checkout = checkoutPath(stateDir, request.env, sha);
      await locks.run(`checkout:${checkout}`, () => ensureWorktree(found.mirror, checkout, sha));
    }
  } catch (error) {
    if (error instanceof GitError) return problem('failed', error.message);
    return problem('errored', `checking out ${request.commit}: ${(error as Error).message}`);
  }
  return { sha, checkout };
}
