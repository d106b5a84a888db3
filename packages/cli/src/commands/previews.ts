import pc from 'picocolors';
import type { PreviewListResponse } from '@slipway/contract';
import { callApiList, resolveConnection } from '../api-client.ts';
import type { CommandIO, OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { apiCommand, printJson } from './api-command.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

/** `slipway previews list`: which pull requests and branches have an environment, and which had one. */
export async function previewsList(options: ListOptions & { app?: string; all?: boolean; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const query = new URLSearchParams({ ...(options.app ? { app: options.app } : {}), ...(options.all ? {} : { state: 'open' }) }).toString();
    const answer = await callApiList<PreviewListResponse['items'][number]>(resolveConnection(), `/api/v1/previews${query ? `?${query}` : ''}`, listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) {
      io.out(`no previews${options.all ? '' : ' open'}: see docs/previews.md to have pull requests or branches get environments`);
      return;
    }
    io.out(
      table(
        ['environment', 'app', 'for', 'branch', 'head', 'state', 'repository'],
        answer.items.map((p) => [
          p.environment,
          p.app,
          p.pullRequest !== undefined ? `pull request #${p.pullRequest}` : 'branch',
          p.branch,
          p.headSha?.slice(0, 7) ?? '-',
          p.state === 'open' ? pc.green('open') : pc.dim('closed'),
          `${p.provider}:${p.repository}`,
        ]),
      ),
    );
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}
