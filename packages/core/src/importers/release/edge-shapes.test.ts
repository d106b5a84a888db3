import { formatDiagnostic } from '@slipway/contract';
import { describe, expect, it } from 'vitest';
import { importReleaseTemplate } from './index.ts';

const template = 'app: shop\nservices:\n  - name: web\n    image: nginx\n';

describe('edge shapes of Release files', () => {
  it.each(['', '# nothing yet\n'])('locates an empty template %j at its first line, with the expected shape', (text) => {
    const result = importReleaseTemplate({ templateFile: '.release/application_template.yaml', templateText: text });
    expect(result.errors.map(formatDiagnostic)).toEqual([
      '.release/application_template.yaml:1:1: the application template is empty; expected a mapping of Release settings, such as "app: shop" and "services:" with "- name: web" and "image: nginx" under it',
    ]);
  });

  it('locates an environment_variables.yaml that is a list, and says where such a list goes', () => {
    const result = importReleaseTemplate({
      templateFile: 't.yaml',
      templateText: template,
      envFile: '.release/environment_variables.yaml',
      envText: '- key: LOG_LEVEL\n  value: info\n',
    });
    expect(result.errors.map(formatDiagnostic)).toEqual([
      expect.stringMatching(
        /^\.release\/environment_variables\.yaml:1:1: the environment variables file must be a mapping with "defaults:" .*, got a list; a list of variables for every service goes under "defaults:"$/,
      ),
    ]);
  });

  it('takes an empty environment_variables.yaml as no variables', () => {
    const result = importReleaseTemplate({ templateFile: 't.yaml', templateText: template, envFile: 'e.yaml', envText: '' });
    expect(result.errors).toEqual([]);
    expect(result.value?.spec.services).toHaveLength(1);
  });
});
