import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logTail, readLog, rotateIfLarge, tailLines } from './log-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('log files', () => {
  it('rotate by copy and truncate, keeping a bounded number of files', () => {
    const path = join(dir, 'rotate.log');
    const settings = { maxBytes: 100, keep: 2 };
    for (let round = 1; round <= 4; round++) {
      writeFileSync(path, `round ${round}\n`.repeat(20));
      expect(rotateIfLarge(path, settings)).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('');
    }
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('round 4');
    expect(readFileSync(`${path}.2`, 'utf8')).toContain('round 3');
    expect(existsSync(`${path}.3`)).toBe(false);
    appendFileSync(path, 'small\n');
    expect(rotateIfLarge(path, settings)).toBe(false);
    // The tail reaches into the rotated file when the live one is short.
    expect(tailLines(path, 2)).toEqual(['round 4', 'small']);
    expect(logTail(join(dir, 'missing.log'))).toBe('');
  });

  it('follows a file through rotation', async () => {
    const path = join(dir, 'follow.log');
    writeFileSync(path, 'one\ntwo\n');
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const line of readLog(path, { follow: true, tail: 1, signal: controller.signal, pollMs: 20 })) {
        seen.push(line);
        if (line === 'after rotation') controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(path, 'three\n');
    await new Promise((r) => setTimeout(r, 100));
    rotateIfLarge(path, { maxBytes: 1, keep: 1 });
    appendFileSync(path, 'after rotation\n');
    await reading;
    expect(seen).toEqual(['two', 'three', 'after rotation']);
  });
});
