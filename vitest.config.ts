import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts', '*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 20_000,
    // Tests read the CLI's plain text. CI machines set CI or FORCE_COLOR, which turns colours on;
    // NO_COLOR wins over both (https://no-color.org) for the tests and the processes they start.
    env: { NO_COLOR: '1' },
  },
});
