import { describe, expect, it } from 'vitest';
import { validateManifestFiles } from '../manifest/validate-manifest-files.ts';
import { diagnosticsOf } from '../test-support/manifest-text.ts';
import { managedWorkflowProblems, shellParameterReferences } from './managed-step-references.ts';

const admission = (steps: string, secrets = '[deploy-token]') => `apiVersion: slipway.dev/v1
kind: ReleasePlanAdmission
metadata: { name: accept-shop }
spec:
  origins: [{ workspace: default, applications: [shop] }]
  secrets: ${secrets}
  workflow:
    steps:
${steps}`;

const names = (script: string) => shellParameterReferences(script).map((r) => r.name);

describe('the parameters a shell script reads', () => {
  it('finds $NAME and ${NAME}, with or without quotes, in substitutions and backticks', () => {
    expect(names('echo $A "${B}" "x $(echo "$C") y" `echo $D` ${E:?must be set}')).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('leaves out what is literal, special, has a fallback or is assigned by the script', () => {
    expect(names("echo '$QUOTED' \\$ESCAPED $1 $@ $? $$ $# ${#LEN} # $COMMENT")).toEqual([]);
    expect(names('echo ${A:-x} ${B-x} ${C:+x} ${D:=x} ${E:-$F}')).toEqual(['F']);
    expect(names('X=1; export Y=2; for f in *; do echo $f $X $Y; done; read -r line; echo $line')).toEqual([]);
  });

  it('says where each reference starts', () => {
    expect(shellParameterReferences('echo ok && ./publish.sh --token "$TOKEN"')).toEqual([{ name: 'TOKEN', index: 33, text: '$TOKEN' }]);
  });
});

describe('what a managed step reads', () => {
  it('accepts a step that reads its env, the secrets of the admission and the SLIPWAY_* variables', () => {
    const text = admission(`      - name: publish
        command: ./publish.sh "$DEPLOY_TOKEN" "$CHANNEL" "$SLIPWAY_SNAPSHOT" "$HOME"
        env: { DEPLOY_TOKEN: { secret: deploy-token }, CHANNEL: stable }
`);
    expect(diagnosticsOf(text, 'admission.yaml')).toEqual({ errors: [], warnings: [] });
  });

  it('refuses a secret the admission does not list, at the reference', () => {
    const text = admission(`      - name: publish
        command: ./publish.sh
        env:
          DEPLOY_TOKEN: { secret: deploy-key }
`);
    expect(diagnosticsOf(text, 'admission.yaml').errors).toEqual([
      'admission.yaml:12:35 spec.workflow.steps[0].env.DEPLOY_TOKEN.secret: step publish reads secret "deploy-key" into DEPLOY_TOKEN, which this admission does not provide (spec.secrets: deploy-token) (did you mean "deploy-token"?); list it in spec.secrets or name one listed',
    ]);
  });

  it('refuses a variable nobody provides, at the $ of the reference, whatever the scalar style', () => {
    const plain = admission(`      - name: publish
        command: echo start && ./publish.sh --token "$DEPLOY_TOKN" --channel $CHANNEL
        env: { DEPLOY_TOKEN: { secret: deploy-token } }
`);
    expect(diagnosticsOf(plain, 'admission.yaml').errors).toEqual([
      'admission.yaml:10:54 spec.workflow.steps[0].command: step publish reads $DEPLOY_TOKN, which this admission does not provide (did you mean "DEPLOY_TOKEN"?); give it in the step\'s env (a value, or { secret: name } of spec.secrets), or a fallback (${DEPLOY_TOKN:-…})',
      'admission.yaml:10:78 spec.workflow.steps[0].command: step publish reads $CHANNEL, which this admission does not provide; give it in the step\'s env (a value, or { secret: name } of spec.secrets), or a fallback (${CHANNEL:-…})',
    ]);
    const block = admission(`      - name: publish
        command: |
          echo "$CHANNEL"
          echo "$CHANNEL again" \${VERSION}
`);
    expect(diagnosticsOf(block, 'admission.yaml').errors.map((e) => e.split(' spec')[0])).toEqual(['admission.yaml:11:17', 'admission.yaml:12:33']);
  });

  it('reads the script of sh -c in an argument list, and nothing in other lists', () => {
    const text = admission(`      - name: publish
        command: [sh, -ec, 'test -n "$TOKEN"']
      - name: literal
        command: [echo, $NOT_EXPANDED]
`);
    const { errors } = diagnosticsOf(text, 'admission.yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^admission\.yaml:10:38 spec\.workflow\.steps\[0\]\.command\[2\]: step publish reads \$TOKEN/);
  });

  it('only warns about a variable of a step with an image, which may set it', () => {
    const text = admission(`      - name: publish
        image: deployer:1
        command: deploy --version "$NODE_VERSION"
`);
    const { errors, warnings } = diagnosticsOf(text, 'admission.yaml');
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      `admission.yaml:11:36 spec.workflow.steps[0].command: step publish reads $NODE_VERSION, which this admission does not provide; it is empty unless the image deployer:1 sets it — give it in the step's env`,
    ]);
  });

  it('is what validateManifestFiles reports for a bundle', () => {
    const result = validateManifestFiles([{ file: 'a.yaml', text: admission(`      - { name: publish, command: 'echo $MISSING', env: { T: { secret: other } } }\n`, '[]') }]);
    expect(result.errors.map((e) => `${e.line}:${e.column} ${e.path}`)).toEqual(['9:41 spec.workflow.steps[0].command', '9:72 spec.workflow.steps[0].env.T.secret']);
  });

  it('works on a stored admission spec, by path', () => {
    const problems = managedWorkflowProblems({
      origins: [{ workspace: 'default', applications: ['shop'] }],
      secrets: [],
      environments: [],
      workflow: { steps: [{ name: 'publish', command: 'echo $X', timeout: '1m' }] },
      policy: { requirePassedStages: true, allowedRegistries: [], requiredLabels: [] },
      block: false,
    });
    expect(problems).toMatchObject([{ severity: 'error', path: ['spec', 'workflow', 'steps', 0, 'command'], within: { text: '$X', occurrence: 0 } }]);
  });
});
