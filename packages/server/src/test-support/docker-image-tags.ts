import type { DockerEngineDetection } from '@slipway/drivers';

type Docker = Extract<DockerEngineDetection, { found: true }>['docker'];

/**
 * Removes the tags the docker runtime gave application `app`'s images for `commits` (its tags hold
 * ":<first 12 of the commit>-"). The images stay on the engine as a cache for the next run.
 */
export async function removeCommitImageTags(docker: Docker, app: string, commits: readonly string[]): Promise<void> {
  const images = await docker.listImages({ filters: { label: [`dev.slipway.app=${app}`] } });
  const ours = images.flatMap((i) => i.RepoTags ?? []).filter((tag) => commits.some((c) => tag.includes(`:${c.slice(0, 12)}-`)));
  for (const tag of ours) await docker.getImage(tag).remove().catch(() => undefined);
}
