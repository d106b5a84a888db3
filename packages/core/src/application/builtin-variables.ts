/** The variables Slipway injects into every service and job of an environment. */
export const builtinVariables = ['SLIPWAY_ENV_ID', 'SLIPWAY_APP', 'SLIPWAY_BRANCH', 'SLIPWAY_COMMIT_SHA', 'SLIPWAY_COMMIT_SHORT', 'SLIPWAY_DOMAIN'] as const;

/** The variable prefix of a service: api-gateway → API_GATEWAY. */
export function serviceVariablePrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/** Builtins plus <SERVICE>_URL and <SERVICE>_HOST of each service. */
export function builtinVariableNames(services: string[]): string[] {
  return [...builtinVariables, ...services.flatMap((s) => [`${serviceVariablePrefix(s)}_URL`, `${serviceVariablePrefix(s)}_HOST`])];
}
