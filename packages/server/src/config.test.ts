import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from './config.ts';

describe('preview settings of the server', () => {
  it('are absent unless set', () => {
    const { config } = loadServerConfig({ XDG_CONFIG_HOME: '/x' });
    expect(config).toBeDefined();
    expect([config!.githubWebhookSecret, config!.githubToken, config!.githubApiUrl, config!.pollIntervalMs]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('read the GitHub secret, token and API URL, and the polling interval as a duration or seconds', () => {
    const env = {
      SLIPWAY_GITHUB_WEBHOOK_SECRET: 's3cret',
      SLIPWAY_GITHUB_TOKEN: 'ghp_x',
      SLIPWAY_GITHUB_API_URL: 'https://github.example.com/api/v3',
      SLIPWAY_POLL_INTERVAL: '200ms',
    };
    expect(loadServerConfig(env).config).toMatchObject({ githubWebhookSecret: 's3cret', githubToken: 'ghp_x', githubApiUrl: 'https://github.example.com/api/v3', pollIntervalMs: 200 });
    expect(loadServerConfig({ SLIPWAY_POLL_INTERVAL: '45' }).config?.pollIntervalMs).toBe(45_000);
    expect(loadServerConfig({ SLIPWAY_POLL_INTERVAL: '2m' }).config?.pollIntervalMs).toBe(120_000);
  });

  it('name a wrong setting and what would be right', () => {
    expect(loadServerConfig({ SLIPWAY_POLL_INTERVAL: 'often', SLIPWAY_GITHUB_API_URL: 'ftp://x' }).problems).toEqual([
      'SLIPWAY_GITHUB_API_URL: expected an http(s) URL such as https://api.github.com or https://github.example.com/api/v3',
      'SLIPWAY_POLL_INTERVAL: expected a duration from 100ms to 1d, such as 30s or 2m',
    ]);
    expect(loadServerConfig({ SLIPWAY_POLL_INTERVAL: '10ms' }).problems).toEqual(['SLIPWAY_POLL_INTERVAL: expected a duration from 100ms to 1d, such as 30s or 2m']);
  });

  it('read the kubernetes registry credentials as a pair, only with a registry, and never echo them in a problem', () => {
    const base = { SLIPWAY_KUBECONFIG: '/k', SLIPWAY_KUBE_IMAGE_REGISTRY: 'registry.example.com/team' };
    expect(loadServerConfig({ ...base, SLIPWAY_KUBE_REGISTRY_USERNAME: 'ci', SLIPWAY_KUBE_REGISTRY_PASSWORD: 'pw-1', SLIPWAY_KUBE_REGISTRY_INSECURE: 'true' }).config?.kubernetes).toMatchObject({
      registryUsername: 'ci',
      registryPassword: 'pw-1',
      registryInsecure: 'true',
    });
    const half = loadServerConfig({ ...base, SLIPWAY_KUBE_REGISTRY_PASSWORD: 'pw-secret-2' }).problems;
    expect(half).toEqual(['SLIPWAY_KUBE_REGISTRY_USERNAME and SLIPWAY_KUBE_REGISTRY_PASSWORD: expected both (the registry credentials) or neither']);
    expect(loadServerConfig({ SLIPWAY_KUBECONFIG: '/k', SLIPWAY_KUBE_REGISTRY_USERNAME: 'ci', SLIPWAY_KUBE_REGISTRY_PASSWORD: 'pw-secret-3' }).problems).toEqual([
      'SLIPWAY_KUBE_REGISTRY_USERNAME: registry credentials need SLIPWAY_KUBE_IMAGE_REGISTRY, the registry they are for',
    ]);
    expect(loadServerConfig({ ...base, SLIPWAY_KUBE_REGISTRY_INSECURE: 'yes' }).problems).toEqual([
      'SLIPWAY_KUBE_REGISTRY_INSECURE: expected true (push over plain HTTP or without checking the certificate) or false',
    ]);
  });
});

describe('the prebuilt portal setting', () => {
  it('takes a folder with the built index.html, and names what is missing otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-portal-'));
    try {
      expect(loadServerConfig({ SLIPWAY_PORTAL_DIR: dir }).problems).toEqual([
        "SLIPWAY_PORTAL_DIR: expected a folder holding the portal's built files (index.html and assets/), such as /opt/slipway/portal",
      ]);
      writeFileSync(join(dir, 'index.html'), '<!doctype html>');
      expect(loadServerConfig({ SLIPWAY_PORTAL_DIR: dir }).config?.portalDir).toBe(dir);
      expect(loadServerConfig({}).config?.portalDir).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metrics settings of the server', () => {
  it('listen on loopback at 4401 by default, and can be moved or turned off', () => {
    expect(loadServerConfig({}).config?.metrics).toEqual({ port: 4401, host: '127.0.0.1' });
    expect(loadServerConfig({ SLIPWAY_METRICS_PORT: '0' }).config?.metrics).toEqual({ port: 0, host: '127.0.0.1' });
    expect(loadServerConfig({ SLIPWAY_METRICS_PORT: '9000' }, { metricsPort: '9001', metricsHost: '::1' }).config?.metrics).toEqual({ port: 9001, host: '::1' });
    expect(loadServerConfig({ SLIPWAY_METRICS_PORT: 'off' }).config?.metrics).toBeUndefined();
    expect(loadServerConfig({}, { metrics: false }).config?.metrics).toBeUndefined();
  });

  it('need a scrape token beyond loopback, and never echo it in a problem', () => {
    expect(loadServerConfig({ SLIPWAY_METRICS_HOST: '0.0.0.0' }).problems).toEqual([
      'SLIPWAY_METRICS_HOST: a metrics listener beyond loopback needs SLIPWAY_METRICS_TOKEN, the bearer token scrapes must send; or keep it on 127.0.0.1',
    ]);
    const token = 'a-scrape-token-of-32-characters!';
    expect(loadServerConfig({ SLIPWAY_METRICS_HOST: '0.0.0.0', SLIPWAY_METRICS_TOKEN: token }).config?.metrics).toEqual({ port: 4401, host: '0.0.0.0', token });
    const short = loadServerConfig({ SLIPWAY_METRICS_TOKEN: 'short-secret' }).problems;
    expect(short).toEqual(['SLIPWAY_METRICS_TOKEN: expected at least 16 characters (for example: openssl rand -hex 32)']);
    expect(short.join('\n')).not.toContain('short-secret');
  });

  it('name a wrong port and what would be right', () => {
    const problem = 'SLIPWAY_METRICS_PORT: expected a port number from 0 (a free one) to 65535, or off (no metrics listener)';
    expect(loadServerConfig({ SLIPWAY_METRICS_PORT: 'http' }).problems).toEqual([problem]);
    expect(loadServerConfig({ SLIPWAY_METRICS_PORT: '70000' }).problems).toEqual([problem]);
    expect(loadServerConfig({ SLIPWAY_METRICS_PORT: '' }).config?.metrics?.port).toBe(4401);
  });
});
