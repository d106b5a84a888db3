// One change at a time per key: a task queued under a key runs after every earlier task of that key,
// whether those succeeded or failed; different keys run side by side. The drivers use it per
// environment (and per checkout, image or link); the server per pull request or comment, so two
// deliveries for one pull request, or two deploys reporting to one comment, never interleave. It is
// a lock with a queue, not a controller: controllers run on the server's keyed worker.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    // A key whose last task ended is forgotten: the map holds only keys with work queued.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves once everything queued so far has ended. */
  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all([...this.tails.values()]);
  }
}
