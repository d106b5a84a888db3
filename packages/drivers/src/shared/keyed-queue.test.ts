import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedQueue } from './keyed-queue.ts';

describe('KeyedQueue', () => {
  it('runs one key’s tasks in order, one at a time, after failures too; other keys side by side; idle waits for all', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const first = queue.run('a', task('a1', 30, true));
    const second = queue.run('a', task('a2', 5));
    const other = queue.run('b', task('b1', 5));
    await expect(first).rejects.toThrow('a1');
    expect(await second).toBe('a2');
    expect(await other).toBe('b1');
    await queue.idle();
    expect(log.indexOf('a2 start')).toBeGreaterThan(log.indexOf('a1 end'));
    expect(log.indexOf('b1 end')).toBeLessThan(log.indexOf('a1 end'));
  });
});
