import { z } from 'zod';
import { pageOf } from './pagination.ts';

/** What a pull request or branch is linked to: the environment a source provider keeps for it. */
export const previewLinkResponse = z.object({
  app: z.string(),
  provider: z.enum(['github', 'git']).describe('github: webhooks; git: polling'),
  repository: z.string().describe("GitHub's owner/name, or the polled repository's URL"),
  pullRequest: z.number().int().optional(),
  branch: z.string().describe("the pull request's head branch, or the branch itself"),
  environment: z.string().describe('environment id (pr-42, feature-login)'),
  headSha: z.string().optional().describe('the last commit it was asked to run'),
  commentId: z.string().optional().describe('the pull request comment edited in place'),
  state: z.enum(['open', 'closed']).describe('closed once the pull request closed or the branch was deleted'),
  updatedAt: z.string(),
});
export type PreviewLinkResponse = z.infer<typeof previewLinkResponse>;

export const previewListResponse = pageOf(previewLinkResponse);
export type PreviewListResponse = z.infer<typeof previewListResponse>;
