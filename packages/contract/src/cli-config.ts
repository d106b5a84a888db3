import { z } from 'zod';

/** ~/.config/slipway/config.yaml: where the CLI finds the control plane and its token. The server writes it on first start. */
export const cliConfig = z.object({
  url: z.string().url({ message: 'expected the URL of the Slipway API, such as http://127.0.0.1:4400' }),
  token: z.string().min(1),
});
export type CliConfig = z.infer<typeof cliConfig>;

/** Where the CLI config lives: $XDG_CONFIG_HOME/slipway/config.yaml, else ~/.config/slipway/config.yaml. */
export function cliConfigPathFor(env: Record<string, string | undefined>, homeDir: string): string {
  return `${env.XDG_CONFIG_HOME || `${homeDir}/.config`}/slipway/config.yaml`;
}
