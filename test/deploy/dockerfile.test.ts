import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BUILD_INPUTS, DEPS_INPUTS } from '../../scripts/build-release.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(resolve(ROOT, '.dockerignore'), 'utf8');

/** Instructions with their line continuations joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** The instructions of one stage, from its FROM to the next. */
function stage(name: string): string[] {
  const start = instructions.findIndex(
    (line) => line.startsWith('FROM') && line.endsWith(`AS ${name}`),
  );
  expect(start, `stage ${name}`).toBeGreaterThanOrEqual(0);
  const next = instructions.findIndex((line, index) => index > start && line.startsWith('FROM'));
  return instructions.slice(start, next === -1 ? undefined : next);
}

/** Sources of the COPY lines of a stage that copy from the build context. */
function copiedSources(lines: string[]): string[] {
  return lines
    .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
    .flatMap((line) =>
      line
        .split(/\s+/)
        .slice(1, -1)
        .filter((word) => !word.startsWith('--')),
    );
}

describe('the Dockerfile', () => {
  it('builds every stage on the official Node.js 24 slim image, pinned to a release', () => {
    expect(instructions).toContain('ARG NODE_VERSION=24.21.0');
    const froms = instructions.filter((line) => line.startsWith('FROM'));
    expect(froms).toHaveLength(3);
    for (const from of froms) expect(from).toMatch(/^FROM node:\$\{NODE_VERSION\}-trixie-slim AS /);
  });

  it('copies into the build stage exactly what scripts/build-release.ts builds from', () => {
    expect(new Set(copiedSources(stage('build')))).toEqual(new Set(BUILD_INPUTS));
    expect(stage('build')).toContain('RUN npm run build');
  });

  it('installs production dependencies only, without running install scripts', () => {
    expect(new Set(copiedSources(stage('deps')))).toEqual(new Set(DEPS_INPUTS));
    expect(stage('deps').join('\n')).toContain('npm ci --omit=dev --ignore-scripts');
  });

  it('ships compiled JavaScript, the tessera bin and production dependencies only in the runtime stage', () => {
    const runtime = stage('runtime');
    expect(copiedSources(runtime)).toEqual([]);
    const copies = runtime.filter((line) => line.startsWith('COPY'));
    expect(copies.map((line) => line.split(/\s+/).at(-2))).toEqual([
      '/app/package.json',
      '/app/node_modules',
      '/build/dist',
      '/build/bin',
    ]);
  });

  it('puts the tessera CLI on PATH, linked to the bin that runs dist/', () => {
    const runtime = stage('runtime').join('\n');
    expect(runtime).toContain('COPY --from=build --chown=0:0 /build/bin ./bin');
    expect(runtime).toMatch(/ln -s \/app\/bin\/tessera\.js \/usr\/local\/bin\/tessera(\s|$)/);
  });

  it('runs as a numeric non-root user with NODE_ENV=production', () => {
    const runtime = stage('runtime');
    expect(runtime).toContain('USER 1000:1000');
    expect(runtime.join('\n')).toMatch(/ENV NODE_ENV=production/);
  });

  it('checks /healthz with the bundled script and runs node itself in exec form', () => {
    const runtime = stage('runtime');
    expect(runtime.find((line) => line.startsWith('HEALTHCHECK'))).toMatch(
      /CMD \["node", "dist\/src\/healthcheck\.js"\]$/,
    );
    const cmd = runtime.find((line) => line.startsWith('CMD'));
    expect(JSON.parse(cmd!.slice('CMD'.length))).toEqual([
      'node',
      '--enable-source-maps',
      'dist/src/main.js',
    ]);
    expect(runtime.some((line) => /^(ENTRYPOINT|CMD).*\bnpm\b/.test(line))).toBe(false);
  });

  it('keeps everything but the build inputs out of the build context', () => {
    const rules = dockerignore.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(rules[0]).toBe('**');
    const allowed = rules.filter((rule) => rule.startsWith('!')).map((rule) => rule.slice(1));
    for (const input of BUILD_INPUTS) {
      expect(
        allowed.some((rule) => rule === input || rule === `${input}/**`),
        input,
      ).toBe(true);
    }
    expect(rules).toContain('**/*.test.ts');
  });
});
