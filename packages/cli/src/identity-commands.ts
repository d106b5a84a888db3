import { type Command, InvalidArgumentError, Option } from 'commander';
import { approverRoleName, builtInRoles, type BuiltInRole } from '@slipway/contract';
import { dnsLabel, limitOption } from './argument-parsers.ts';
import { auditExport, auditList, auditVerify, type AuditFilterOptions } from './commands/audit.ts';
import { roles } from './commands/roles.ts';
import { tokensCreate, tokensList, tokensRevoke } from './commands/tokens.ts';
import { usersCreate, usersGet, usersGrant, usersList, usersRevoke } from './commands/users.ts';
import { workspacesCreate, workspacesList } from './commands/workspaces.ts';
import type { CommandIO, OutputFormat } from './io.ts';

// The commands of workspaces, users, roles, tokens and the audit ledger (docs/security.md). Each
// action only maps commander's options onto a plain command function.

type Run = (action: Promise<number>) => Promise<void>;
type Output = { output: OutputFormat };
type InWorkspace = Output & { workspace?: string };

const jsonOutput = () => new Option('-o, --output <format>', 'text for people, json (the API answer) for scripts').choices(['text', 'json']).default('text');
const workspaceOption = () => new Option('--workspace <name>', 'act in this workspace (you must be its admin); default: your token’s (or SLIPWAY_WORKSPACE)').argParser(dnsLabel);
const roleOption = (description: string) => new Option('--role <role>', `${description}; what each may call: slipway roles`).choices([...builtInRoles]);
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;

/** For --approver given several times: each a valid approver role name. */
function approverRoles(value: string, previous: string[] = []): string[] {
  const parsed = approverRoleName.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]!.message);
  return [...previous, value];
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a whole number from 1');
  return n;
}

export function addIdentityCommands(program: Command, io: CommandIO, run: Run): void {
  const workspaces = program.command('workspaces').description('create workspaces and list yours');
  workspaces
    .command('create')
    .description('create a workspace; you become its admin')
    .argument('<name>', 'workspace name: lowercase letters, digits and "-"', dnsLabel)
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway workspaces create payments', 'slipway users create sre-lead --role admin --workspace payments'))
    .action((name: string, opts: Output) => run(workspacesCreate({ name, ...opts }, io)));
  workspaces
    .command('list')
    .description('the workspaces you are a member of, with your role and approver roles in each')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: Output & { limit?: number }) => run(workspacesList(opts, io)));

  const users = program.command('users').description("manage the workspace's users: their role and approver roles");
  users
    .command('create')
    .description('create a user with a role (default developer) and approver roles in the workspace')
    .argument('<name>', 'user name, such as alice or alice@example.com')
    .addOption(roleOption('their role in the workspace').default('developer'))
    .option('--approver <role>', 'an approver role a release track names, such as qa or security (repeatable)', approverRoles)
    .addOption(workspaceOption())
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway users create alice --role release-manager --approver qa --approver security', 'slipway tokens create laptop --user alice'))
    .action((name: string, opts: InWorkspace & { role: BuiltInRole; approver?: string[] }) => run(usersCreate({ name, ...opts }, io)));
  users
    .command('list')
    .description("the workspace's members with their role and approver roles")
    .addOption(workspaceOption())
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: InWorkspace & { limit?: number }) => run(usersList(opts, io)));
  users
    .command('get')
    .description('show a member: role and approver roles')
    .argument('<name>', 'user name')
    .addOption(workspaceOption())
    .addOption(jsonOutput())
    .action((name: string, opts: InWorkspace) => run(usersGet({ name, ...opts }, io)));
  users
    .command('grant')
    .description("set a user's role in the workspace (up or down; adds them when they are not a member) and/or add approver roles")
    .argument('<name>', 'user name')
    .addOption(roleOption('their role from now on'))
    .option('--approver <role>', 'an approver role to add (repeatable)', approverRoles)
    .addOption(workspaceOption())
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway users grant alice --role admin', 'slipway users grant bob --approver product', 'slipway users grant carol --role viewer --workspace payments'))
    .action((name: string, opts: InWorkspace & { role?: BuiltInRole; approver?: string[] }) => run(usersGrant({ name, ...opts }, io)));
  users
    .command('revoke')
    .description('remove approver roles, or the role the user holds — which removes them from the workspace and revokes their tokens there')
    .argument('<name>', 'user name')
    .addOption(roleOption('the role they hold: revoking it removes them from the workspace, approver roles, tokens and all'))
    .option('--approver <role>', 'an approver role to remove (repeatable)', approverRoles)
    .addOption(workspaceOption())
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway users revoke bob --approver product', 'slipway users revoke carol --role developer'))
    .action((name: string, opts: InWorkspace & { role?: BuiltInRole; approver?: string[] }) => run(usersRevoke({ name, ...opts }, io)));

  program
    .command('roles')
    .description('the least role of every API operation: the table the API enforces (no server needed)')
    .addOption(new Option('--role <role>', 'only what this role may call').choices([...builtInRoles]))
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway roles --role developer', 'slipway roles -o json'))
    .action((opts: Output & { role?: BuiltInRole }) => run(Promise.resolve(roles(opts, io))));

  const tokens = program.command('tokens').description('API tokens: each belongs to a user and acts in one workspace');
  tokens
    .command('create')
    .description('create a token (yours, or as an admin another member’s); prints it once on stdout — only its hash is kept')
    .argument('<name>', 'what the token is for, such as ci-deploy or laptop')
    .option('--user <name>', 'whose token (admins); default: yours')
    .addOption(roleOption("the most it may do, at most the user's role (default: the user's role now)"))
    .addOption(workspaceOption())
    .addOption(jsonOutput())
    .addHelpText(
      'after',
      `\nThe token acts in the workspace it was made in, with the lower of --role and its user's role at the time of each call.\n${examples('TOKEN=$(slipway tokens create ci-deploy --role developer)', 'slipway tokens create laptop --user alice')}`,
    )
    .action((name: string, opts: InWorkspace & { user?: string; role?: BuiltInRole }) => run(tokensCreate({ name, ...opts }, io)));
  tokens
    .command('list')
    .description('your tokens in the workspace (admins: everyone’s)')
    .option('--user <name>', "one user's tokens (admins: anyone's)")
    .option('--all', 'include revoked tokens')
    .addOption(workspaceOption())
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: InWorkspace & { user?: string; all?: boolean; limit?: number }) => run(tokensList(opts, io)));
  tokens
    .command('revoke')
    .description('revoke a token (yours, or as an admin anyone’s): calls with it are refused at once')
    .argument('<id>', 'token id, as `tokens list` shows it')
    .addOption(workspaceOption())
    .addOption(jsonOutput())
    .action((id: string, opts: InWorkspace) => run(tokensRevoke({ id, ...opts }, io)));

  const audit = program.command('audit').description('the audit ledger: an append-only, hash-chained record of every decision and change');
  const filters = (command: Command) =>
    command
      .option('--actor <user>', 'only entries by this user')
      .option('--kind <kinds>', 'only these kinds, comma-separated; a trailing * matches a prefix (release.*, secret.set,role.*)')
      .option('--since <time>', 'entries at or after: 2025-01-31, 2025-01-31T12:00:00Z, or a duration ago (24h, 7d)')
      .option('--until <time>', 'entries before: a time, or a duration ago')
      .addOption(workspaceOption());
  filters(audit.command('list').description("the workspace's audit entries, newest first"))
    .option('--limit <n>', 'how many (default 50, at most 1000)', positiveInteger)
    .option('--before <seq>', 'only entries older than this seq (to page back)', positiveInteger)
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway audit list --kind "release.*" --since 7d', 'slipway audit list --actor alice -o json'))
    .action((opts: AuditFilterOptions & Output & { limit?: number; before?: number }) => run(auditList(opts, io)));
  audit
    .command('verify')
    .description('walk the whole ledger and check its hash chain; names every edited, rewritten, inserted or deleted entry (exit 1)')
    .addOption(workspaceOption())
    .addOption(jsonOutput())
    .action((opts: InWorkspace) => run(auditVerify(opts, io)));
  filters(audit.command('export').description("the workspace's audit entries, oldest first, as JSON lines"))
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addHelpText('after', examples('slipway audit export --output audit.jsonl', 'slipway audit export --since 30d | jq -r .kind | sort | uniq -c'))
    .action((opts: AuditFilterOptions & { output?: string }) => run(auditExport({ ...opts, ...(opts.output ? { file: opts.output } : {}) }, io)));
}
