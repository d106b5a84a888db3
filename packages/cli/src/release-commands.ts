import { type Command, InvalidArgumentError, Option } from 'commander';
import { collect, dnsLabel, limitOption } from './argument-parsers.ts';
import {
  releasesAct,
  releasesCreate,
  releasesGet,
  releasesList,
  setsCreate,
  setsGet,
  setsList,
  snapshotsCreate,
  snapshotsGet,
  snapshotsList,
  tracksCreate,
  tracksGet,
  tracksList,
} from './commands/releases.ts';
import { admissionsCreate, admissionsList, managedReleasesCreate, managedReleasesGet, managedReleasesList, plansCreate, plansList } from './commands/managed-releases.ts';
import type { CommandIO, OutputFormat } from './io.ts';

// The commands of the release flow (docs/releases.md): application sets and release tracks,
// snapshots, and releases moving along their tracks. Each action only maps commander's options onto
// a plain command function.

type Run = (action: Promise<number>) => Promise<void>;
type Output = { output: OutputFormat };

const jsonOutput = () => new Option('-o, --output <format>', 'text for people, json (the API answer) for scripts').choices(['text', 'json']).default('text');
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;

function pullRequest(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a pull request number, such as 42');
  return n;
}

function registration(parent: Command, kind: 'ApplicationSet' | 'ReleaseTrack' | 'ReleasePlan' | 'ReleasePlanAdmission', run: Run, io: CommandIO, action: typeof setsCreate): void {
  parent
    .command('create')
    .description(`register the ${kind}s of manifest files (a file, or a folder's .slipway/) or of a git repository's .slipway/ (again: replaced)`)
    .argument('[path]', 'manifest file, or a folder')
    .option('--repo <path-or-url>', "a git repository whose .slipway/ holds them: a folder on the server's machine, or a git URL")
    .option('--branch <branch>', "with --repo: the branch to read; default: the repository's default branch")
    .addOption(jsonOutput())
    .addHelpText('after', examples(`slipway ${parent.name()} create release/`, `slipway ${parent.name()} create --repo https://github.com/acme/platform-releases.git`))
    .action((path: string | undefined, opts: Output & { repo?: string; branch?: string }, cmd: Command) => {
      if ((path === undefined) === (opts.repo === undefined)) cmd.error('error: give either a manifest <path> or --repo <path-or-url>, not both and not neither');
      if (opts.branch !== undefined && opts.repo === undefined) cmd.error('error: --branch goes with --repo');
      return run(action({ ...(path !== undefined ? { path } : {}), ...opts }, io));
    });
}

export function addReleaseCommands(program: Command, io: CommandIO, run: Run): void {
  const sets = program.command('sets').description('application sets: the applications released together');
  registration(sets, 'ApplicationSet', run, io, setsCreate);
  sets.command('list').description('list the application sets').addOption(limitOption()).addOption(jsonOutput()).action((opts: Output & { limit?: number }) => run(setsList(opts, io)));
  sets
    .command('get')
    .description('show an application set: its members and track')
    .argument('<name>', 'set name')
    .addOption(jsonOutput())
    .action((name: string, opts: Output) => run(setsGet({ name, ...opts }, io)));

  const tracks = program.command('tracks').description('release tracks: the stages of environments a release passes, with their gates');
  registration(tracks, 'ReleaseTrack', run, io, tracksCreate);
  tracks.command('list').description('list the release tracks and their stages').addOption(limitOption()).addOption(jsonOutput()).action((opts: Output & { limit?: number }) => run(tracksList(opts, io)));
  tracks
    .command('get')
    .description('show a track stage by stage: what each stage runs, the releases on their way, their gates and missing approvals')
    .argument('<track>', 'track name')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway tracks get shop-track', 'watch -n 5 slipway tracks get shop-track'))
    .action((name: string, opts: Output) => run(tracksGet({ name, ...opts }, io)));

  const snapshots = program.command('snapshots').description('snapshots: the exact version of every application of a set, fixed once');
  snapshots
    .command('create')
    .description("snapshot a set: every application at its tracking branch's head (a release), or one application at a branch or pull request (--app: a pre-release)")
    .argument('<set>', 'application set', dnsLabel)
    .option('--use <app=branch>', 'release: read this application at this branch instead (repeatable)', collect)
    .option('--pin <app=commit>', 'release: pin this application to this commit (repeatable)', collect)
    .option('--app <app>', 'pre-release: the application', dnsLabel)
    .option('--branch <branch>', 'pre-release: its branch')
    .option('--pr <number>', 'pre-release: its pull request', pullRequest)
    .addOption(jsonOutput())
    .addHelpText(
      'after',
      `\nThe same versions make the same snapshot (its id is a hash of them), so creating it again returns it.\n${examples(
        'slipway snapshots create shop',
        'slipway snapshots create shop --use shop-api=hotfix/login',
        'slipway snapshots create shop --app shop-web --pr 42',
      )}`,
    )
    .action((set: string, opts: Output & { use?: string[]; pin?: string[]; app?: string; branch?: string; pr?: number }) => run(snapshotsCreate({ set, ...opts }, io)));
  snapshots
    .command('list')
    .description('list snapshots, newest first')
    .option('--set <set>', 'only snapshots of this set')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: Output & { set?: string; limit?: number }) => run(snapshotsList(opts, io)));
  snapshots
    .command('get')
    .description("show a snapshot: each application's commit")
    .argument('<snapshot>', 'alias (2026.11.23-1), id, or a unique prefix of the id')
    .addOption(jsonOutput())
    .action((ref: string, opts: Output) => run(snapshotsGet({ ref, ...opts }, io)));

  const releases = program.command('releases').description('release snapshots along their track: gates, approvals, promotion, rollback');
  releases
    .command('create')
    .description("release a snapshot along its set's track; it enters the first stage at once")
    .argument('<snapshot>', 'snapshot alias or id')
    .option('--hotfix', "follow the track's hotfixStages (with their own approvers) instead of releaseStages")
    .option('--track <track>', "the track to follow (default: the set's)", dnsLabel)
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway releases create 2026.11.23-1', 'slipway releases create 2026.11.23-2 --hotfix'))
    .action((snapshot: string, opts: Output & { hotfix?: boolean; track?: string }) => run(releasesCreate({ snapshot, ...opts }, io)));
  releases
    .command('list')
    .description('list releases, newest first')
    .option('--track <track>', 'only releases along this track')
    .option('--active', 'only releases still under way')
    .addOption(limitOption())
    .addOption(jsonOutput())
    .action((opts: Output & { track?: string; active?: boolean; limit?: number }) => run(releasesList(opts, io)));
  releases
    .command('get')
    .description('show a release: each stage with its deploys, test jobs, gates and approvals, and every transition with who, when and why')
    .argument('<release>', 'release number (or id)')
    .addOption(jsonOutput())
    .action((ref: string, opts: Output) => run(releasesGet({ ref, ...opts }, io)));
  releases
    .command('approve')
    .description("approve the release's current stage (you need an approver role it names; not as the release's author)")
    .argument('<release>', 'release number')
    .option('--comment <text>', 'kept with the approval')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway releases approve 12 --comment "regression suite green"'))
    .action((ref: string, opts: Output & { comment?: string }) => run(releasesAct({ ref, action: 'approve', ...opts }, io)));
  releases
    .command('reject')
    .description('reject the release in its current stage: it ends Rejected')
    .argument('<release>', 'release number')
    .requiredOption('--reason <text>', 'why: kept with the release')
    .addOption(jsonOutput())
    .action((ref: string, opts: Output & { reason: string }) => run(releasesAct({ ref, action: 'reject', ...opts }, io)));
  releases
    .command('promote')
    .description('promote deliberately: into a stage held after a rollback (lifting the hold), or out of a stage whose gates all hold; gates are never skipped')
    .argument('<release>', 'release number')
    .option('--reason <text>', 'kept with the promotion')
    .addOption(jsonOutput())
    .action((ref: string, opts: Output & { reason?: string }) => run(releasesAct({ ref, action: 'promote', ...opts }, io)));
  releases
    .command('abort')
    .description('abort the release where it stands (deploys under way finish; nothing more starts)')
    .argument('<release>', 'release number')
    .option('--reason <text>', 'kept with the release')
    .addOption(jsonOutput())
    .action((ref: string, opts: Output & { reason?: string }) => run(releasesAct({ ref, action: 'abort', ...opts }, io)));
  releases
    .command('rollback')
    .description('redeploy the snapshot promoted to a stage before this release, and hold automatic promotion into that stage until someone promotes deliberately')
    .argument('<release>', 'the release to roll back')
    .option('--stage <stage>', 'the stage (or one of its environments); default: the last stage the release entered')
    .option('--reason <text>', 'kept with the rollback')
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway releases rollback 12 --stage production --reason "checkout errors"'))
    .action((ref: string, opts: Output & { stage?: string; reason?: string }) => run(releasesAct({ ref, action: 'rollback', ...opts }, io)));

  addManagedReleaseCommands(program, io, run);
}

/** Releasing into a managed workspace: plans (development side), admissions (managed side), managed releases. */
function addManagedReleaseCommands(program: Command, io: CommandIO, run: Run): void {
  const plans = program.command('plans').description('release plans: "release this set or application into that managed workspace"');
  registration(plans, 'ReleasePlan', run, io, plansCreate);
  plans.command('list').description("list this workspace's release plans").addOption(limitOption()).addOption(jsonOutput()).action((opts: Output & { limit?: number }) => run(plansList(opts, io)));

  const admissions = program.command('admissions').description('release plan admissions of a managed workspace: the origins it accepts, its workflow, secrets and policy');
  registration(admissions, 'ReleasePlanAdmission', run, io, admissionsCreate);
  admissions.command('list').description("list this workspace's admissions").addOption(limitOption()).addOption(jsonOutput()).action((opts: Output & { limit?: number }) => run(admissionsList(opts, io)));

  const managed = program.command('managed-releases').description('release snapshots into managed workspaces and follow them');
  managed
    .command('create')
    .description('release a snapshot into the managed workspace of a plan: it must match exactly one admission there, pass its policy, then its workflow runs')
    .argument('<snapshot>', 'snapshot alias or id')
    .requiredOption('--plan <plan>', 'the release plan', dnsLabel)
    .option('--data <key=value>', "data for the managed workflow (repeatable); the plan's and the admission's win over it", collect)
    .addOption(jsonOutput())
    .addHelpText('after', examples('slipway managed-releases create 2026.11.23-1 --plan shop-to-production --data version=1.4.2'))
    .action((snapshot: string, opts: Output & { plan: string; data?: string[] }) => run(managedReleasesCreate({ snapshot, ...opts }, io)));
  managed.command('list').description('managed releases this workspace made or received').addOption(limitOption()).addOption(jsonOutput()).action((opts: Output & { limit?: number }) => run(managedReleasesList(opts, io)));
  managed
    .command('get')
    .description('show a managed release: its admission, policy verdicts, steps and transitions')
    .argument('<release>', 'managed release number (or id)')
    .addOption(jsonOutput())
    .action((ref: string, opts: Output) => run(managedReleasesGet({ ref, ...opts }, io)));
}
