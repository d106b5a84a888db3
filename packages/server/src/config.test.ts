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
