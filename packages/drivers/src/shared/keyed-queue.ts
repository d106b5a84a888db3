// One change at a time per key: a task queued under a key runs after every earlier task of that key,
// whether those succeeded or failed; different keys run side by side. The drivers use it per
// environment (and per checkout, image or link) so two calls into one driver never change the same
// thing at once, and each call gets its own result or error back. It is a lock with a queue inside
// one process, not a controller: it reads no desired state, retries nothing and takes no lease —
// the server's controllers run on its keyed worker (packages/server/src/worker/keyed-worker.ts).

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
