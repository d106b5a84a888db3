import { describe, expect, it } from 'vitest';
import { importText, messages, serviceOf } from './test-helpers.ts';

const compose = `
services:
  web:
    image: "registry/\${IMAGE-web}:\${TAG:-latest}"
    ports: ["\${WEB_PORT}:80"]
    command: ["--price", "$$5", "--mode", "\${MODE}"]
`;

describe('.env, --env-file and the shell in interpolation', () => {
  it('reads .env beside the Compose file', () => {
    const result = importText(compose, { files: { '.env': 'WEB_PORT=8080\nMODE=fast\nTAG=\n' } });
    expect(messages(result.errors)).toEqual([]);
    // ${TAG:-latest} takes the default for an empty TAG; ${IMAGE-web} only for an unset one.
    expect(serviceOf(result, 'web')).toMatchObject({ image: 'registry/web:latest', ports: [{ port: 80 }], args: ['--price', '$5', '--mode', 'fast'] });
    expect(messages(result.warnings)).toEqual([]);
  });

  it('reads --env-file files instead of .env, later ones winning, and the shell over both', () => {
    const result = importText(compose, {
      files: { '.env': 'MODE=from-dotenv\nIMAGE=never\n' },
      envFiles: [
        { file: 'a.env', text: 'WEB_PORT=8080\nMODE=a\nIMAGE=' },
        { file: 'b.env', text: 'MODE=b\n' },
      ],
      shellEnvironment: { TAG: '1.2' },
    });
    expect(messages(result.errors)).toEqual([]);
    expect(serviceOf(result, 'web')).toMatchObject({ image: 'registry/:1.2', args: ['--price', '$5', '--mode', 'b'] });
  });

  it('says which variable is unset, where, and how to give it, instead of that the port is empty', () => {
    const result = importText('services:\n  web:\n    image: web\n    ports: ["${WEB_PORT}"]\n', { files: { '.env': 'MODE=x\n' } });
    expect(messages(result.errors)).toEqual([
      expect.stringMatching(
        /^compose\.yaml:4:13 services\.web\.ports\[0\]: \$\{WEB_PORT\} is not set, and "\$\{WEB_PORT\}" needs it: give it a value with `slipway import --env-file <file>`, a line WEB_PORT=… in \.env, or an environment variable WEB_PORT .*\(.*\)$/,
      ),
    ]);
  });

  it('refuses ${VAR:?message} and ${VAR?message} of an unset variable, with the message, as Compose does', () => {
    const result = importText(`
services:
  web:
    image: "web:\${TAG:?set TAG to the release}"
    command: ["\${EMPTY?}"]
`);
    expect(messages(result.errors)).toEqual([
      expect.stringMatching(/^compose\.yaml:4:12 services\.web\.image: \$\{TAG\} must be set \(set TAG to the release\): give it a value with `slipway import --env-file/),
      expect.stringMatching(/^compose\.yaml:5:15 services\.web\.command\[0\]: \$\{EMPTY\} must be set: /),
    ]);
  });

  it('reports a problem of an --env-file at its line', () => {
    const result = importText('services:\n  web:\n    image: "web:${TAG}"\n', { envFiles: [{ file: 'prod.env', text: 'TAG=1\nBAD="open\n' }] });
    expect(messages(result.warnings)).toContainEqual('prod.env:2:1: the double quote of BAD is never closed');
  });
});
