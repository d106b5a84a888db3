import pc from 'picocolors';
import type { DatasetResponse } from '@slipway/contract';
import { callApi, callApiList, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { apiCommand, printJson, segment } from './api-command.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

const pool = (d: DatasetResponse) => `${d.ready}/${d.poolSize} ready, ${d.attached} attached${d.creating ? `, ${d.creating} being made` : ''}`;

export async function datasetsList(options: ListOptions & { output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<DatasetResponse>(resolveConnection(), '/api/v1/datasets', listLimitOf(options));
    if (options.output === 'json') printJson(io, answer);
    else if (answer.items.length === 0) io.out('no datasets yet: declare one under spec.datasets of an application (docs/datasets.md)');
    else {
      io.out(table(['app', 'dataset', 'state', 'pool', 'golden copy', 'next refresh'], answer.items.map((d) => [d.app, d.name, d.reason ? `${d.state}: ${d.reason}` : d.state, pool(d), d.goldenAt ? `#${d.generation} ${d.goldenAt}` : '-', d.nextRefreshAt ?? '-'])));
      moreRowsNote(io, answer.items.length, answer.nextCursor);
    }
  });
}

export async function datasetsShow(options: { app: string; name: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const d = await callApi<DatasetResponse>(resolveConnection(), 'GET', `/api/v1/datasets/${segment(options.app)}/${segment(options.name)}`);
    if (options.output === 'json') printJson(io, d);
    else {
      io.out(`${pc.bold(`${d.app}/${d.name}`)}  ${d.state}${d.reason ? ` — ${d.reason}` : ''}`);
      io.out(`source: ${d.source}; pool: ${pool(d)}${d.optional ? '; optional' : ''}`);
      io.out(`golden copy: ${d.goldenAt ? `#${d.generation}, made ${d.goldenAt}` : 'not made yet'}; refresh: ${d.refresh ?? 'by hand only'}${d.nextRefreshAt ? `, next ${d.nextRefreshAt}` : ''}`);
      if (d.clones.length) io.out(table(['clone', 'state', 'golden copy', 'environment', 'since'], d.clones.map((c) => [c.database, c.state, `#${c.generation}`, c.environmentId ?? '-', c.attachedAt ?? c.createdAt])));
    }
    return ExitCode.ok;
  });
}

export async function datasetsRefresh(options: { app: string; name: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const d = await callApi<DatasetResponse>(resolveConnection(), 'POST', `/api/v1/datasets/${segment(options.app)}/${segment(options.name)}/refresh`);
    if (options.output === 'json') printJson(io, d);
    else io.out(`${pc.green('✓')} dataset ${pc.bold(`${d.app}/${d.name}`)}: a new golden copy is being made; its ${d.ready} unattached clone${d.ready === 1 ? '' : 's'} will be replaced, the ${d.attached} attached ones are kept`);
    return ExitCode.ok;
  });
}
