import { describe, expect, it } from 'vitest';
import { operationRoles } from '@slipway/contract';
import { roles } from './roles.ts';

function capture() {
  const out: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => out.push(t) }, out };
}

describe('slipway roles', () => {
  it('prints the least role of every operation from the table the API enforces', () => {
    const { io, out } = capture();
    expect(roles({ output: 'json' }, io)).toBe(0);
    const rows = JSON.parse(out[0]!) as { operation: string; leastRole: string }[];
    expect(rows.length).toBe(Object.values(operationRoles).filter((r) => r !== 'no-token').length);
    for (const row of rows) expect(operationRoles[row.operation]).toBe(row.leastRole);
  });

  it('lists with --role only what that role may call', () => {
    const { io, out } = capture();
    roles({ output: 'json', role: 'viewer' }, io);
    const rows = JSON.parse(out[0]!) as { operation: string; leastRole: string }[];
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.every((r) => r.leastRole === 'viewer')).toBe(true);
    const text = capture();
    roles({ output: 'text', role: 'developer' }, text.io);
    expect(text.out[0]).toMatch(/POST \/api\/v1\/environments\s+developer/);
    expect(text.out[0]).not.toMatch(/POST \/api\/v1\/workspaces\s/);
  });
});
