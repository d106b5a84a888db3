import { describe, expect, it } from 'vitest';
import { importTemplate } from './testing.ts';

const services = [
  { name: 'db', image: 'postgres' },
  { name: 'webApp', image: 'web', ports: [{ type: 'node_port', port: 3000 }] },
];
const jobs = [{ name: 'migrate', from_services: 'webApp', command: ['rake', 'db:migrate'] }];

describe('workflows', () => {
  it('turns parallelize steps into steps, with renamed services and step settings', () => {
    const imported = importTemplate({
      services,
      jobs,
      workflows: [
        {
          name: 'setup',
          parallelize: [
            { step: 'data', tasks: ['services.db'], wait_for_finish: false },
            { step: 'migrate', tasks: ['jobs.migrate'], halt_on_error: true },
            { step: 'app', tasks: ['services.webApp', 'services.webApp'] },
          ],
        },
      ],
    });
    expect(imported.value.spec.workflows).toEqual({
      setup: {
        steps: [
          { name: 'data', tasks: ['services.db'], waitForFinish: false },
          { name: 'migrate', tasks: ['jobs.migrate'], haltOnError: true },
          { name: 'app', tasks: ['services.web-app'] },
        ],
      },
    });
    expect(imported.warnings.join('\n')).toMatch(/parallelize\[2\]\.tasks\[1\]: task services\.web-app already runs earlier in the setup workflow/);
    expect(imported.loaderErrors).toEqual([]);
  });

  it('runs order_from tasks one step after another, and orders workflows setup, patch, teardown', () => {
    const imported = importTemplate({
      services,
      workflows: [
        { name: 'teardown', order_from: ['release.remove_environment'] },
        { name: 'patch', order_from: ['services.webApp', 'services.db'] },
        { name: 'setup', order_from: ['services.all'] },
      ],
    });
    expect(imported.value.spec.workflows).toEqual({
      setup: { steps: [{ tasks: ['services.all'] }] },
      patch: { steps: [{ tasks: ['services.web-app'] }, { tasks: ['services.db'] }] },
      teardown: { steps: [{ tasks: ['environment.remove'] }] },
    });
    expect(Object.keys(imported.value.spec.workflows!)).toEqual(['setup', 'patch', 'teardown']);
  });

  it('ends teardown with environment.remove, adding it or moving it last, and never halts before it', () => {
    const missing = importTemplate({ services, jobs, workflows: [{ name: 'teardown', parallelize: [{ step: 'backup', tasks: ['jobs.migrate'], halt_on_error: true }] }] });
    expect(missing.value.spec.workflows?.teardown).toEqual({
      steps: [
        { name: 'backup', tasks: ['jobs.migrate'], haltOnError: false },
        { name: 'remove-environment', tasks: ['environment.remove'] },
      ],
    });
    const warnings = missing.warnings.join('\n');
    expect(warnings).toMatch(/workflows\[0\]: teardown never removes the environment \(release\.remove_environment\); .* a final environment\.remove step is added/);
    expect(warnings).toMatch(/teardown step "backup" halts on error/);
    expect(missing.loaderErrors).toEqual([]);

    const early = importTemplate({
      services,
      jobs,
      workflows: [{ name: 'teardown', parallelize: [{ step: 'remove', tasks: ['release.remove_environment'] }, { step: 'cleanup', tasks: ['jobs.migrate'] }] }],
    });
    expect(early.value.spec.workflows?.teardown?.steps).toEqual([{ name: 'cleanup', tasks: ['jobs.migrate'] }, { name: 'remove', tasks: ['environment.remove'] }]);
    expect(early.warnings.join('\n')).toMatch(/not in the last step of teardown/);
    expect(early.loaderErrors).toEqual([]);
  });

  it('drops tasks Slipway cannot run, and workflows left empty, with a warning each', () => {
    const imported = importTemplate({
      services,
      cron_jobs: [{ name: 'nightly', image: 'busybox', command: 'date', schedule: '0 3 * * *' }],
      workflows: [
        { name: 'setup', parallelize: [{ step: 'all', tasks: ['services.db', 'charts.redis', 'infrastructure.lambda', 'services.api', 'jobs.nightly', 'jobs.ghost', 'release.remove_environment'] }] },
        { name: 'patch', parallelize: [{ step: 'charts', tasks: ['charts.redis'] }] },
        { name: 'teardown', parallelize: [{ step: 'stop', tasks: ['services.db', 'release.remove_environment'] }] },
        { name: 'ingest', parallelize: [{ step: 'x', tasks: ['services.db'] }] },
        { name: 'setup', order_from: ['services.all'] },
      ],
    });
    expect(imported.value.spec.workflows).toEqual({
      setup: { steps: [{ name: 'all', tasks: ['services.db'] }] },
      teardown: { steps: [{ name: 'stop', tasks: ['environment.remove'] }] },
    });
    const warnings = imported.warnings.join('\n');
    expect(warnings).toMatch(/tasks\[1\]: charts\.redis runs a Helm chart, which Slipway does not support/);
    expect(warnings).toMatch(/tasks\[2\]: infrastructure\.lambda runs an infrastructure-as-code runner \(Terraform\)/);
    expect(warnings).toMatch(/tasks\[3\]: services\.api names no service of this template/);
    expect(warnings).toMatch(/tasks\[4\]: jobs\.nightly is a cron job/);
    expect(warnings).toMatch(/tasks\[5\]: jobs\.ghost names no job/);
    expect(warnings).toMatch(/tasks\[6\]: release\.remove_environment belongs in teardown, not setup/);
    expect(warnings).toMatch(/workflows\[1\]: the patch workflow has no task Slipway can run; it is left out/);
    expect(warnings).toMatch(/services\.db: Slipway's teardown stops every service itself/);
    expect(warnings).toMatch(/workflows\[3\]\.name: workflow "ingest" is not setup, patch or teardown/);
    expect(warnings).toMatch(/workflows\[4\]\.name: workflow setup is defined twice/);
    expect(imported.loaderErrors).toEqual([]);
  });
});
