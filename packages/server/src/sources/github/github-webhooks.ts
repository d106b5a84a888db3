// GitHub's webhook deliveries: the signature checked against the shared secret (X-Hub-Signature-256,
// through @octokit/webhooks), the payload turned into a source event and written down with its
// delivery id before anything acts — so a redelivery changes nothing and a server stopped before
// handling it handles it at its next start — then handled in the background, so GitHub gets its
// answer at once however long a checkout takes.
//
// Handling is a reconcile(source) on the keyed worker: the key is the pull request or branch a
// delivery is about (`<repository>|<source key>`), and a run handles every delivery of that source
// still waiting in the store, oldest first — so deliveries for one pull request never interleave,
// on one server or several (the `previews:<key>` lease), and a delivery a stopped server left is
// found by the resync.

import { Webhooks } from '@octokit/webhooks';
import type { Leases } from '../../store/leases.ts';
import { PreviewStore } from '../../store/previews.ts';
import { KeyedWorker, type ReconcileContext } from '../../worker/keyed-worker.ts';
import type { HandledAction, PreviewCoordinator, PreviewLogger } from '../preview-coordinator.ts';
import { sourceKeyOf } from '../preview-policy.ts';
import type { SourceEvent } from '../source-provider.ts';
import { githubRepositoryOf, sourceEventOfGithub } from './github-events.ts';

export interface GithubWebhooksOptions {
  secret: string;
  previews: PreviewStore;
  coordinator: PreviewCoordinator;
  leases: Leases;
  /** How often deliveries no server handles are looked for (default 60 s): a safety net, not how they are found. */
  resyncMs?: number;
  logger?: PreviewLogger;
}

/** The source a delivery is about: what the worker runs one at a time. */
export function deliveryKeyOf(event: SourceEvent): string {
  return `${event.repository}|${sourceKeyOf(event)}`;
}

/** How long delivery ids are remembered: GitHub offers redeliveries of the last few days. */
const DELIVERY_MEMORY_MS = 30 * 24 * 3600 * 1000;

export type DeliveryOutcome =
  | { outcome: 'accepted'; event: SourceEvent }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string };

export class GithubWebhooks {
  private readonly webhooks: Webhooks;
  private readonly worker: KeyedWorker;

  constructor(private readonly options: GithubWebhooksOptions) {
    this.webhooks = new Webhooks({ secret: options.secret });
    this.worker = new KeyedWorker({
      name: 'previews',
      reconcile: (key, context) => this.handleSource(key, context),
      lease: { per: 'key', leases: options.leases },
      keys: () => this.waitingSources(),
      resyncMs: options.resyncMs ?? 60_000,
      ...(options.logger ? { logger: options.logger } : {}),
    });
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
    this.worker.enqueue(deliveryKeyOf(normalized.event));
    return { outcome: 'accepted', event: normalized.event };
  }

  /**
   * Forgets old deliveries and starts the worker, which handles at once the deliveries recorded but
   * never handled (a server stopped in between), then every resync those no server handles.
   */
  async resume(now = new Date()): Promise<void> {
    await this.options.previews.pruneDeliveries(new Date(now.getTime() - DELIVERY_MEMORY_MS));
    await this.worker.start();
    for (const key of await this.waitingSources()) this.worker.enqueue(key);
  }

  /** The sources with deliveries recorded and not handled yet. */
  private async waitingSources(): Promise<string[]> {
    return [...new Set((await this.options.previews.unhandledDeliveries('github')).map((d) => deliveryKeyOf(d.event as SourceEvent)))];
  }

  /** Resolves once every delivery received so far was handled here. */
  async idle(): Promise<void> {
    await this.worker.drained();
  }

  /** Stops taking deliveries; the runs under way end first (what is left waits in the store for the next start). */
  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** Handles every delivery of one source still waiting, oldest first. */
  private async handleSource(key: string, context: ReconcileContext): Promise<void> {
    const waiting = (await this.options.previews.unhandledDeliveries('github')).filter((d) => deliveryKeyOf(d.event as SourceEvent) === key);
    for (const { deliveryId, event } of waiting) {
      if (context.signal.aborted) return;
      await this.handle(deliveryId, event as SourceEvent, context);
    }
  }

  private async handle(deliveryId: string, event: SourceEvent, context: ReconcileContext): Promise<void> {
    const { previews, coordinator } = this.options;
    // Written only while this server holds the source's lease: one that lost it leaves the delivery to the new holder.
    const finish = (state: 'done' | 'failed', result: string) => context.fenced((tx) => new PreviewStore(tx).finishDelivery('github', deliveryId, state, result));
    let outcome: { state: 'done' | 'failed'; result: string };
    try {
      const apps = (await previews.applicationsWithRepository()).filter((app) => githubRepositoryOf(app) === event.repository);
      outcome = apps.length ? { state: 'done', result: summary(await coordinator.handle(event, apps, requestedBy(event))) } : { state: 'done', result: `no application follows the GitHub repository ${event.repository}` };
    } catch (error) {
      const handled = (error as { handled?: HandledAction[] }).handled;
      this.options.logger?.error(`GitHub delivery ${deliveryId}: ${(error as Error).message}`);
      // Failed through the platform's fault: a redelivery from GitHub is the retry.
      outcome = { state: 'failed', result: `${(error as Error).message}${handled ? `; ${summary(handled)}` : ''}` };
    }
    await finish(outcome.state, outcome.result);
  }
}

function requestedBy(event: SourceEvent): string {
  if (event.type === 'pull-request') return `github: pull request #${event.number} ${event.action}`;
  return `github: ${event.type === 'branch-pushed' ? 'push to' : 'deletion of'} ${event.branch}`;
}

function summary(handled: HandledAction[]): string {
  return handled.map((h) => `${h.app}: ${h.action.kind}${'envId' in h.action ? ` ${h.action.envId}` : ''} ${h.outcome}${h.message ? ` (${h.message})` : ''}`).join('; ');
}
