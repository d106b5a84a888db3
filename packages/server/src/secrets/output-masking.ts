// The last defensive pass over what the API answers with free text in it (deploys and their tasks'
// log tails and reasons, environments, instances, logs, exec output) and what is posted to pull
// requests: every form of every secret of the workspace is masked (core's createSecretMasker).
// The runtimes and the workflow engine mask at the source, before anything is written or stored;
// this pass catches what was stored before a secret was set, or reached the store another way.
import { createSecretMasker, maskDeep, secretValueParts, type SecretMasker } from '@slipway/core';
import type { SecretStore } from '../store/secrets.ts';

export interface OutputMasking {
  /** The masker of a workspace's secrets as they are now. */
  maskerOf(workspace: string): Promise<SecretMasker>;
}

const nothing = createSecretMasker(undefined);

/** No secrets to mask: for an API built without a secret store. */
export const noOutputMasking: OutputMasking = { maskerOf: async () => nothing };

/**
 * Maskers of each workspace's secrets, built again only when its secrets changed (a fingerprint of
 * the sealed rows is read on each call; values are opened only when it moved).
 */
export class WorkspaceOutputMasking implements OutputMasking {
  private readonly cache = new Map<string, { fingerprint: string; values: string[]; masker: SecretMasker }>();

  constructor(private readonly secrets: SecretStore) {}

  async maskerOf(workspace: string): Promise<SecretMasker> {
    const previous = this.cache.get(workspace);
    const now = await this.secrets.valuesForMasking(workspace, previous);
    if (previous && now === previous) return previous.masker;
    const masker = createSecretMasker(now.values.flatMap(secretValueParts));
    this.cache.set(workspace, { ...now, masker });
    return masker;
  }
}

/** A copy of a JSON answer with every secret of the workspace masked in its strings. */
export async function maskedAnswer<T>(masking: OutputMasking | undefined, workspace: string, answer: T): Promise<T> {
  if (!masking) return answer;
  return maskDeep(answer, await masking.maskerOf(workspace));
}

/** Lines with every secret of the workspace masked (the masker is read once, when the first line comes). */
export async function* maskedLines(masking: OutputMasking | undefined, workspace: string, lines: AsyncIterable<string>): AsyncGenerator<string> {
  const masker = masking ? await masking.maskerOf(workspace) : nothing;
  for await (const line of lines) yield masker.mask(line);
}
