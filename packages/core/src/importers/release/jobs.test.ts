import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

const services = [
  { name: 'web', image: 'acme/demo/web', has_repo: true, build: { context: '.' }, command: ['bin/server'], args: ['--port', '3000'] },
  { name: 'site', static: true, build_command: 'npm run build', build_output_directory: 'dist' },
];

describe('jobs and cron jobs', () => {
  it('runs jobs from their service, joins command and args, converts timeouts and halt_on_error', () => {
    const imported = importTemplate({
      services,
      jobs: [
        { name: 'migrate', from_services: 'web', command: ['rake'], args: ['db:migrate'], completed_timeout: 1800, halt_on_error: true },
        { name: 'seed', from_services: 'web', command: 'bin/seed', completed_timeout: 45 },
        { name: 'report', image: 'acme/demo/web', command: ['bin/report'], cpu: { limits: '500m' }, memory: { limits: '512MB' } },
      ],
    });
    expect(imported.value.spec.jobs).toEqual([
      { name: 'migrate', fromService: 'web', command: ['rake', 'db:migrate'], timeout: '30m' },
      { name: 'seed', fromService: 'web', command: 'bin/seed', timeout: '45s', haltOnError: false },
      { name: 'report', fromService: 'web', command: ['bin/report'], haltOnError: false, resources: { limits: { cpu: '500m', memory: '512M' } } },
    ]);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('takes the service command when a job has none, and drops jobs that cannot run', () => {
    const imported = importTemplate({
      services,
      jobs: [
        { name: 'again', from_services: 'web' },
        { name: 'nowhere', from_services: 'ghost' },
        { name: 'nothing', image: 'busybox' },
        { name: 'static', from_services: 'site', command: 'ls' },
      ],
      workflows: [{ name: 'setup', parallelize: [{ step: 'jobs', tasks: ['jobs.again', 'jobs.nowhere', 'services.all'] }] }],
    });
    expect(imported.value.spec.jobs).toEqual([{ name: 'again', fromService: 'web', command: ['bin/server', '--port', '3000'], haltOnError: false }]);
    expect(imported.value.spec.workflows?.setup?.steps[0]?.tasks).toEqual(['jobs.again', 'services.all']);
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/jobs\[0\]: job "again" has no command; it runs the command of "web"/);
    expect(warnings).toMatch(/jobs\[1\]\.from_services: "ghost" is not a service/);
    expect(warnings).toMatch(/jobs\[1\]: job "nowhere" has neither a service to run from nor an image; dropped/);
    expect(warnings).toMatch(/jobs\[2\]: job "nothing" has no command, and Slipway cannot run an image's default command/);
    expect(warnings).toMatch(/"site" is a static site/);
    expect(warnings).toMatch(/tasks\[1\]: jobs\.nowhere names no job of this template \(it could not be converted, see above\)/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('renames a job named like a service, everywhere it is referred to', () => {
    const imported = importTemplate({
      services: [{ name: 'ingest', image: 'ingest' }],
      jobs: [{ name: 'ingest', from_services: 'ingest', command: 'python ingest.py' }],
      workflows: [{ name: 'setup', parallelize: [{ step: 'one', tasks: ['services.ingest', 'jobs.ingest'] }] }],
    });
    expect(imported.value.spec.jobs?.[0]?.name).toBe('ingest-job');
    expect(imported.value.spec.workflows?.setup?.steps[0]?.tasks).toEqual(['services.ingest', 'jobs.ingest-job']);
    expect(imported.warnings.join('\n')).toMatch(/job "ingest" is named "ingest-job": services, jobs and cron jobs share one namespace/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('converts cron jobs with their schedule and concurrency policy', () => {
    const imported = importTemplate({
      services,
      cron_jobs: [
        { name: 'nightly', from_services: 'web', command: ['bin/cleanup'], schedule: '0  3 * * *', concurrency_policy: 'Replace' },
        { name: 'hourly', image: 'busybox', command: 'date', schedule: '@hourly' },
        { name: 'broken', image: 'busybox', command: 'date', schedule: '*/5 * * *' },
      ],
    });
    expect(imported.value.spec.cronJobs).toEqual([
      { name: 'nightly', schedule: '0 3 * * *', concurrency: 'replace', fromService: 'web', command: ['bin/cleanup'], haltOnError: false },
      { name: 'hourly', schedule: '@hourly', image: 'busybox', command: 'date', haltOnError: false },
    ]);
    expect(imported.warnings.join('\n')).toMatch(/cron_jobs\[2\]\.schedule: cron job "broken" needs a five-field schedule/);
    expect(imported.loaderErrors).toEqual([]);
  });
});
