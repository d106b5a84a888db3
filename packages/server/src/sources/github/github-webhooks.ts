// GitHub's webhook deliveries: the signature checked against the shared secret (X-Hub-Signature-256,
// through @octokit/webhooks), the payload turned into a source event and written down with its
// delivery id before anything acts — so a redelivery changes nothing and a server stopped before
// handling it handles it at its next start — then handled in the background, so GitHub gets its
// answer at once however long a checkout takes.

import { Webhooks } from '@octokit/webhooks';
import type { PreviewStore } from '../../store/previews.ts';
import type { HandledAction, PreviewCoordinator, PreviewLogger } from '../preview-coordinator.ts';
import type { SourceEvent } from '../source-provider.ts';
import { githubRepositoryOf, sourceEventOfGithub } from './github-events.ts';

export interface GithubWebhooksOptions {
  secret: string;
  previews: PreviewStore;
  coordinator: PreviewCoordinator;
  logger?: PreviewLogger;
}

/** How long delivery ids are remembered: GitHub offers redeliveries of the last few days. */
const DELIVERY_MEMORY_MS = 30 * 24 * 3600 * 1000;

export type DeliveryOutcome =
  | { outcome: 'accepted'; event: SourceEvent }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string };

export class GithubWebhooks {
  private readonly webhooks: Webhooks;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: GithubWebhooksOptions) {
    this.webhooks = new Webhooks({ secret: options.secret });
  }

  /** Whether the raw body was signed with the secret (constant-time comparison). */
  async verify(rawBody: string, signature: string | undefined): Promise<boolean> {
    if (!signature || !/^sha256=[0-9a-f]{64}$/.test(signature)) return false;
    return this.webhooks.verify(rawBody, signature).catch(() => false);
  }

  /** Takes a verified delivery: records it once and handles it in the background. */
  async receive(delivery: { id: string; eventName: string; payload: unknown }): Promise<DeliveryOutcome> {
    const normalized = sourceEventOfGithub(delivery.eventName, delivery.payload);
    if ('ignored' in normalized) return { outcome: 'ignored', reason: normalized.ignored };
    if (!(await this.options.previews.recordDelivery('github', delivery.id, normalized.event))) return { outcome: 'duplicate' };
    this.track(this.handle(delivery.id, normalized.event));
    return { outcome: 'accepted', event: normalized.event };
  }

  /** Handles deliveries recorded but never handled (the server stopped in between), and forgets old ones. */
  async resume(now = new Date()): Promise<void> {
    await this.options.previews.pruneDeliveries(new Date(now.getTime() - DELIVERY_MEMORY_MS));
    for (const { deliveryId, event } of await this.options.previews.unhandledDeliveries('github')) this.track(this.handle(deliveryId, event as SourceEvent));
  }

  /** Resolves once every delivery received so far was handled. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    await this.options.coordinator.idle();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(deliveryId: string, event: SourceEvent): Promise<void> {
    const { previews, coordinator } = this.options;
    try {
      const apps = (await previews.applicationsWithRepository()).filter((app) => githubRepositoryOf(app) === event.repository);
      if (!apps.length) {
        await previews.finishDelivery('github', deliveryId, 'done', `no application follows the GitHub repository ${event.repository}`);
        return;
      }
      const handled = await coordinator.handle(event, apps, requestedBy(event));
      await previews.finishDelivery('github', deliveryId, 'done', summary(handled));
    } catch (error) {
      const handled = (error as { handled?: HandledAction[] }).handled;
      this.options.logger?.error(`GitHub delivery ${deliveryId}: ${(error as Error).message}`);
      // Failed through the platform's fault: a redelivery from GitHub is the retry.
      await previews.finishDelivery('github', deliveryId, 'failed', `${(error as Error).message}${handled ? `; ${summary(handled)}` : ''}`).catch(() => undefined);
    }
  }
}

function requestedBy(event: SourceEvent): string {
  if (event.type === 'pull-request') return `github: pull request #${event.number} ${event.action}`;
  return `github: ${event.type === 'branch-pushed' ? 'push to' : 'deletion of'} ${event.branch}`;
}

function summary(handled: HandledAction[]): string {
  return handled.map((h) => `${h.app}: ${h.action.kind}${'envId' in h.action ? ` ${h.action.envId}` : ''} ${h.outcome}${h.message ? ` (${h.message})` : ''}`).join('; ');
}
