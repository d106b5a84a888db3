// The base images a Dockerfile names, which a failed build's reason names when the engine lacks them.
import { describe, expect, it } from 'vitest';
import { baseImages } from './images.ts';

describe('baseImages', () => {
  it('lists each stage’s base once, not scratch, not earlier stages', () => {
    const dockerfile = ['# syntax=docker/dockerfile:1', 'FROM node:20-alpine AS build', 'RUN node build.mjs', 'FROM build AS test', 'FROM --platform=linux/amd64 nginx:1.27', 'FROM scratch', 'COPY --from=build /x /x', 'from node:20-alpine'].join('\n');
    expect(baseImages(dockerfile, {})).toEqual(['node:20-alpine', 'nginx:1.27']);
  });

  it('substitutes the ARGs declared before the first FROM, build args first', () => {
    const dockerfile = 'ARG NODE=20\nARG FLAVOUR="alpine"\nARG REGISTRY\nFROM ${REGISTRY:-docker.io/library}/node:${NODE}-$FLAVOUR\nARG LATE=x\nFROM busybox:$LATE\n';
    expect(baseImages(dockerfile, {})).toEqual(['docker.io/library/node:20-alpine', 'busybox:']);
    expect(baseImages(dockerfile, { NODE: 22, REGISTRY: 'registry.example' })).toEqual(['registry.example/node:22-alpine', 'busybox:']);
  });

  it('follows line continuations', () => {
    expect(baseImages('FROM \\\n  node:20 \\\n  AS base\nFROM base\n', {})).toEqual(['node:20']);
  });
});
