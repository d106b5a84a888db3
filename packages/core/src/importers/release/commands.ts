/**
 * Kubernetes runs `command` followed by `args`. Where Slipway has only a command (jobs, init
 * containers), the two are joined the same way: lists are concatenated, and a shell string gets the
 * arguments appended, quoted for the shell.
 */
export function joinCommand(command: string | string[] | undefined, args: string | string[] | undefined): string | string[] | undefined {
  if (args === undefined) return command;
  if (command === undefined) return args;
  if (typeof command === 'string') return [command, ...(typeof args === 'string' ? [args] : args.map(shellQuote))].join(' ');
  return [...command, ...(typeof args === 'string' ? [args] : args)];
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
