import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sourceHash } from './portal-build.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function webPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-portal-hash-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'src', 'test-support'), { recursive: true });
  mkdirSync(join(dir, 'src', 'e2e'), { recursive: true });
  for (const [path, text] of Object.entries({
    'index.html': '<div id="root"></div>',
    'vite.config.ts': 'export default {}',
    'package.json': '{}',
    'src/main.tsx': 'render()',
    'src/main.test.ts': 'test()',
    'src/test-support/browser.ts': 'launch()',
    'src/e2e/sign-in.test.ts': 'test()',
  })) {
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the portal build cache key', () => {
  it('changes with what goes into the bundle, and only with that', () => {
    const dir = webPackage();
    const first = sourceHash(dir);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(sourceHash(dir)).toBe(first);

    writeFileSync(join(dir, 'src/main.test.ts'), 'test(2)');
    writeFileSync(join(dir, 'src/test-support/browser.ts'), 'launch(2)');
    writeFileSync(join(dir, 'src/e2e/sign-in.test.ts'), 'test(2)');
    expect(sourceHash(dir), 'tests and their support are not bundled').toBe(first);

    writeFileSync(join(dir, 'src/main.tsx'), 'render(2)');
    const edited = sourceHash(dir);
    expect(edited).not.toBe(first);
    writeFileSync(join(dir, 'src/styles.css'), 'body {}');
    expect(sourceHash(dir)).not.toBe(edited);
    writeFileSync(join(dir, 'vite.config.ts'), 'export default { base: "/x/" }');
    expect(sourceHash(dir)).not.toBe(edited);
  });
});
