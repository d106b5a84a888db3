import { describe, expect, it } from 'vitest';
import { splitShellWords } from './command.ts';
import { importText, messages, serviceOf } from './test-helpers.ts';

describe('splitShellWords', () => {
  it('splits like a shell, without expansions', () => {
    expect(splitShellWords(`gunicorn -w 3  -b 0.0.0.0:8000 app:app`).words).toEqual(['gunicorn', '-w', '3', '-b', '0.0.0.0:8000', 'app:app']);
    expect(splitShellWords(`sh -c "echo \\"hi\\" && echo 'x'"`).words).toEqual(['sh', '-c', `echo "hi" && echo 'x'`]);
    expect(splitShellWords(`a 'b c'd e\\ f ""`).words).toEqual(['a', 'b cd', 'e f', '']);
  });

  it('names shell operators outside quotes, and unclosed quotes', () => {
    expect(splitShellWords('npm ci && npm start').operators).toEqual(['&&']);
    expect(splitShellWords('"npm ci && npm start"').operators).toEqual([]);
    expect(splitShellWords('echo "open').error).toBe('a double quote is never closed');
  });
});

describe('command and entrypoint', () => {
  it('makes entrypoint the command and command the args, splitting strings as Compose does', () => {
    const result = importText(`
services:
  web:
    image: nginx
    entrypoint: /docker-entrypoint.sh
    command: /bin/bash -c "envsubst < /tmp/t > /etc/nginx/conf.d/default.conf && nginx -g 'daemon off;'"
  worker:
    image: app
    entrypoint: ["python", "-m"]
    command: ["worker", 3]
`);
    expect(result.warnings).toEqual([]);
    expect(serviceOf(result, 'web')).toMatchObject({
      command: ['/docker-entrypoint.sh'],
      args: ['/bin/bash', '-c', "envsubst < /tmp/t > /etc/nginx/conf.d/default.conf && nginx -g 'daemon off;'"],
    });
    expect(serviceOf(result, 'worker')).toMatchObject({ command: ['python', '-m'], args: ['worker', '3'] });
  });

  it('warns when a string looks as if it expected a shell', () => {
    const result = importText(`
services:
  web:
    build: .
    command: npm ci && npm start
`);
    expect(serviceOf(result, 'web').args).toEqual(['npm', 'ci', '&&', 'npm', 'start']);
    expect(messages(result.warnings)).toEqual([
      'compose.yaml:5:14 services.web.command: the command uses "&&" outside quotes, but Compose runs it without a shell, and so does Slipway: it is passed to the program as an argument; write ["sh", "-c", "…"] if a shell was meant',
    ]);
  });

  it('refuses an unclosed quote', () => {
    const result = importText(`
services:
  web:
    build: .
    command: echo "hello
`);
    expect(messages(result.errors)).toEqual(['compose.yaml:5:14 services.web.command: a double quote is never closed in the command "echo \\"hello"']);
  });
});
