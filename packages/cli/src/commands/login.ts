import pc from 'picocolors';
import { ApiError, callApi, cliConfigFile } from '../api-client.ts';
import { writeCliConfig } from '../cli-config-file.ts';
import { ExitCode, type CommandIO } from '../io.ts';

/** `slipway login`: checks the URL and token against the API, then saves them (mode 0600). */
export async function login(options: { url: string; token: string }, io: CommandIO): Promise<number> {
  try {
    await callApi(options, 'GET', '/api/v1/applications');
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    io.err(`${pc.red('error')}   ${e.message}; nothing was saved`);
    return e.status === 401 ? ExitCode.invalid : ExitCode.failed;
  }
  const file = cliConfigFile();
  writeCliConfig(file, options);
  io.out(`${pc.green('✓')} logged in to ${options.url}; saved in ${file}`);
  return ExitCode.ok;
}
