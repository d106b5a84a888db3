// Each release state has its own look: symbol, words and colours, so "Deploying" never reads like
// "Awaiting approval" (they once shared a symbol and a colour).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { releaseStates } from '@slipway/contract';
import { stateLooks } from './release-format.tsx';

const css = readFileSync(new URL('./releases.css', import.meta.url), 'utf8');

/** The declarations of the rule whose selector is exactly `.state-<name>`. */
function stateRule(state: string): string | undefined {
  return new RegExp(`(?:^|\\n)\\.state-${state.toLowerCase()}\\s*\\{([^}]*)\\}`).exec(css)?.[1];
}

describe('release state badges', () => {
  it('give every state its own symbol and words', () => {
    expect(Object.keys(stateLooks).sort()).toEqual([...releaseStates].sort());
    const symbols = releaseStates.map((s) => stateLooks[s].symbol);
    const words = releaseStates.map((s) => stateLooks[s].words);
    expect(new Set(symbols).size).toBe(releaseStates.length);
    expect(new Set(words).size).toBe(releaseStates.length);
    expect(stateLooks.Deploying.words).not.toBe(stateLooks.AwaitingApproval.words);
  });

  it('give every state its own colours in releases.css', () => {
    const looks = releaseStates.map((state) => {
      const rule = stateRule(state);
      expect(rule, `releases.css has no rule .state-${state.toLowerCase()} of its own`).toBeDefined();
      return `${/background:\s*([^;]+)/.exec(rule!)?.[1]}|${/(?:^|;)\s*color:\s*([^;]+)/.exec(rule!)?.[1]}`;
    });
    expect(looks.every((l) => !l.includes('undefined'))).toBe(true);
    expect(new Set(looks).size).toBe(releaseStates.length);
  });
});
