import pc from 'picocolors';
import { dnsLabel } from '@slipway/contract';
import { breakGlassQuery, callApi, callApiList, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { apiCommand, printJson, segment, usageError } from './api-command.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

/** Where a secret's value comes from when --value is not given: piped stdin, never a terminal. */
export interface SecretInput {
  isTTY: boolean;
  read(): Promise<string>;
}

export const processStdin: SecretInput = {
  get isTTY() {
    return process.stdin.isTTY === true;
  },
  read: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** One trailing line break is what `echo` and most editors add, not part of the secret. */
export function secretFromStdin(text: string): string {
  return text.replace(/\r?\n$/, '');
}

function secretNameProblem(name: string): string | undefined {
  return dnsLabel.safeParse(name).success ? undefined : `secret name ${JSON.stringify(name)}: expected a lowercase name of letters, digits and "-", such as db-password`;
}

/** `slipway secrets set`: stores a secret; its value is never printed, here or by the API. */
export async function secretsSet(options: { name: string; value?: string; breakGlass?: string; output: OutputFormat }, io: CommandIO, stdin: SecretInput = processStdin): Promise<number> {
  const problem = secretNameProblem(options.name);
  if (problem) return usageError(io, problem);
  let value = options.value;
  if (value === undefined) {
    if (stdin.isTTY) return usageError(io, `give the value with --value, or pipe it in so it stays out of your shell history: printf %s "$VALUE" | slipway secrets set ${options.name}`);
    value = secretFromStdin(await stdin.read());
    if (value === '') return usageError(io, `read an empty value from stdin; pipe the value in, or give --value "" to store an empty secret`);
  }
  const secret = value;
  return apiCommand(io, async () => {
    await callApi<void>(resolveConnection(), 'PUT', `/api/v1/secrets/${segment(options.name)}${breakGlassQuery(options.breakGlass)}`, { value: secret });
    if (options.output === 'json') printJson(io, { name: options.name });
    else io.out(`${pc.green('✓')} secret ${pc.bold(options.name)} set; reference it in a manifest as { secret: ${options.name} }`);
  });
}

export async function secretsList(options: ListOptions & { output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<{ name: string }>(resolveConnection(), '/api/v1/secrets', listLimitOf(options));
    if (options.output === 'json') printJson(io, answer);
    else if (answer.items.length === 0) io.out('no secrets yet: add one with `slipway secrets set <name>`');
    else {
      io.out(table(['name'], answer.items.map((s) => [s.name])));
      moreRowsNote(io, answer.items.length, answer.nextCursor);
    }
  });
}

export async function secretsDelete(options: { name: string; breakGlass?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    await callApi<void>(resolveConnection(), 'DELETE', `/api/v1/secrets/${segment(options.name)}${breakGlassQuery(options.breakGlass)}`);
    if (options.output === 'json') printJson(io, { name: options.name, deleted: true });
    else io.out(`${pc.green('✓')} secret ${pc.bold(options.name)} deleted`);
    return ExitCode.ok;
  });
}
