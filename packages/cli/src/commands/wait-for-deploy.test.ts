import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { DeployResponse, DeployTaskResponse } from '@slipway/contract';
import { ApiError } from '../api-client.ts';
import { pollDeploy } from './wait-for-deploy.ts';

const plain = pc.createColors(false);
const web = (state: DeployTaskResponse['state']): DeployTaskResponse => ({ key: '0:service:web', step: 0, stepName: 'start', kind: 'service', name: 'web', state });
const deploy = (state: DeployResponse['state'], tasks: DeployTaskResponse[]): DeployResponse => ({ id: 'd-1', envId: 'pr-1', app: 'shop', seq: 1, workflow: 'setup', state, createdAt: '2026-01-01T00:00:00Z', tasks });

/** Answers the given deploys (or errors) in turn, then the last one again. */
function script(answers: (DeployResponse | Error)[]) {
  let i = 0;
  return async () => {
    const answer = answers[Math.min(i++, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return answer;
  };
}

describe('pollDeploy', () => {
  it('prints each transition once, in order, until the deploy ends', async () => {
    const printed: string[] = [];
    const sleeps: number[] = [];
    const final = await pollDeploy('d-1', {
      getDeploy: script([deploy('queued', [web('pending')]), deploy('running', [web('running')]), deploy('running', [web('running')]), deploy('succeeded', [web('succeeded')])]),
      print: (l) => printed.push(l),
      sleep: async (ms) => void sleeps.push(ms),
      now: () => 0,
      colors: plain,
    });
    expect(final.state).toBe('succeeded');
    expect(printed).toEqual([
      '  … queued: waiting for the deploy to start (an environment runs one deploy at a time)',
      '  ▸ step 1 start · service web starting…',
      '  ✓ step 1 start · service web ready',
    ]);
    expect(sleeps).toEqual([500, 500, 500]);
  });

  it('asks again at once after an answer the server held (?wait=), and pauses only for what is left of the interval', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const answers = script([deploy('running', [web('running')]), deploy('running', [web('running')]), deploy('succeeded', [web('succeeded')])]);
    const held = [500, 200, 10];
    const final = await pollDeploy('d-1', {
      getDeploy: async () => {
        clock += held.shift() ?? 0;
        return answers();
      },
      print: () => {},
      sleep: async (ms) => void sleeps.push(ms),
      now: () => clock,
    });
    expect(final.state).toBe('succeeded');
    expect(sleeps).toEqual([0, 300]);
  });

  it('waits out a short outage of the API, and gives up after its patience', async () => {
    const printed: string[] = [];
    let clock = 0;
    const down = new ApiError('cannot reach the Slipway API at http://127.0.0.1:4400: connect ECONNREFUSED', 'unreachable');
    const final = await pollDeploy('d-1', {
      getDeploy: script([deploy('running', [web('running')]), down, down, deploy('failed', [web('failed')])]),
      print: (l) => printed.push(l),
      sleep: async (ms) => void (clock += ms),
      now: () => clock,
      colors: plain,
    });
    expect(final.state).toBe('failed');
    expect(printed).toEqual([
      '  ▸ step 1 start · service web starting…',
      '  … cannot reach the Slipway API at http://127.0.0.1:4400: connect ECONNREFUSED; trying again (the deploy goes on without us)',
      '  … reached the API again',
      '  ✗ step 1 start · service web failed',
    ]);

    clock = 0;
    await expect(pollDeploy('d-1', { getDeploy: script([down]), print: () => {}, sleep: async (ms) => void (clock += ms), now: () => clock, patienceMs: 5_000 })).rejects.toBe(down);
  });

  it('does not retry what the API refused', async () => {
    const missing = new ApiError('no deploy "x"', 'http', 404);
    await expect(pollDeploy('x', { getDeploy: script([missing]), print: () => {}, sleep: async () => {} })).rejects.toBe(missing);
  });
});
