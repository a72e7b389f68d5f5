import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { BUILD_INPUTS, DEPS_INPUTS } from '../../scripts/build-release.ts';
import { healthcheckUrl } from '../../src/healthcheck.ts';
import {
  envOf,
  execForm,
  instructionsOf,
  KNOWN_VARIABLES,
  readDockerfile,
  readRepoFile,
  ROOT,
  statusesOfRunningTessera,
  userOf,
  type DockerStage,
} from './deploy-files.ts';

const dockerfile = readDockerfile();
const runtime = dockerfile.stage('runtime');
const runtimeEnv = envOf(runtime);

/** The words of a stage's RUN commands, one array per command. */
const runWords = (stage: DockerStage) =>
  instructionsOf(stage, 'RUN').map(({ args }) =>
    args.split(/\s+/).filter((word) => !word.startsWith('--mount=')),
  );

/** What a stage's COPY instructions take from the build context (not from another stage). */
const copiedSources = (stage: DockerStage) =>
  instructionsOf(stage, 'COPY')
    .filter(({ args }) => !args.includes('--from='))
    .flatMap(({ args }) =>
      args
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'))
        .slice(0, -1),
    );

/** The runtime stage's COPY --from instructions as [stage, source, destination]. */
const copiesFromStages = () =>
  instructionsOf(runtime, 'COPY').map(({ args }) => {
    const from = /--from=(\S+)/.exec(args)?.[1];
    const [source, destination] = args.split(/\s+/).filter((word) => !word.startsWith('--'));
    return [from, source, destination];
  });

describe('the Dockerfile', () => {
  it('builds every stage on the official Node.js slim image, at the version the project runs on', () => {
    // scripts/node24.sh's default is the Node.js the tests and the CLI bootstrap run on.
    const pinned = /NODE_VERSION="\$\{TESSERA_NODE_VERSION:-([\d.]+)\}"/.exec(
      readRepoFile('scripts/node24.sh'),
    )?.[1];
    expect(dockerfile.preamble).toContainEqual({ keyword: 'ARG', args: `NODE_VERSION=${pinned}` });
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(['build', 'deps', 'runtime']);
    for (const stage of dockerfile.stages) {
      expect(stage.from).toBe('node:${NODE_VERSION}-trixie-slim');
    }
  });

  it('copies into the build stage exactly what scripts/build-release.ts builds from', () => {
    expect(new Set(copiedSources(dockerfile.stage('build')))).toEqual(new Set(BUILD_INPUTS));
    expect(runWords(dockerfile.stage('build'))).toContainEqual(['npm', 'run', 'build']);
  });

  it('installs production dependencies only, without running install scripts', () => {
    const deps = dockerfile.stage('deps');
    expect(new Set(copiedSources(deps))).toEqual(new Set(DEPS_INPUTS));
    const install = runWords(deps).find((words) => words[0] === 'npm' && words[1] === 'ci');
    expect(install).toEqual(expect.arrayContaining(['--omit=dev', '--ignore-scripts']));
  });

  it('ships compiled JavaScript, the tessera bin and production dependencies only in the runtime stage', () => {
    expect(copiedSources(runtime)).toEqual([]);
    expect(copiesFromStages()).toEqual([
      ['deps', '/app/package.json', './package.json'],
      ['deps', '/app/node_modules', './node_modules'],
      ['build', '/build/dist', './dist'],
      ['build', '/build/bin', './bin'],
    ]);
  });

  it('puts the tessera CLI on PATH, linked to the bin that runs dist/', () => {
    const workdir = instructionsOf(runtime, 'WORKDIR').at(-1)?.args;
    expect(workdir).toBe('/app');
    const link = runWords(runtime)
      .flatMap((words) => words.join(' ').split('&&'))
      .map((command) => command.trim().split(/\s+/))
      .find((words) => words[0] === 'ln');
    expect(link).toEqual(['ln', '-s', '/app/bin/tessera.js', '/usr/local/bin/tessera']);
    expect(existsSync(resolve(ROOT, 'bin/tessera.js'))).toBe(true);
  });

  it('runs as a numeric non-root user, owning only the data directory, with NODE_ENV=production', () => {
    const { uid, gid } = userOf(runtime);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(runtimeEnv.NODE_ENV).toBe('production');
    const chown = runWords(runtime)
      .flatMap((words) => words.join(' ').split('&&'))
      .map((command) => command.trim().split(/\s+/))
      .filter((words) => words[0] === 'chown');
    expect(chown).toEqual([['chown', `${uid}:${gid}`, runtimeEnv.TESSERA_DATA_DIR]]);
    // The code is root's: every copy into the image is owned by 0:0, not by the user that runs.
    for (const { args } of instructionsOf(runtime, 'COPY')) expect(args).toContain('--chown=0:0');
  });

  it('sets only variables Tessera reads, and exposes the port it listens on', () => {
    expect(Object.keys(runtimeEnv).filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
    expect(instructionsOf(runtime, 'EXPOSE').map(({ args }) => args)).toEqual([runtimeEnv.PORT]);
    expect(instructionsOf(runtime, 'VOLUME').map((volume) => execForm(volume))).toEqual([
      [runtimeEnv.TESSERA_DATA_DIR],
    ]);
  });

  describe('health check and command', () => {
    let statuses: Record<string, number>;
    const healthUrl = new URL(healthcheckUrl(runtimeEnv));
    beforeAll(async () => {
      statuses = await statusesOfRunningTessera([healthUrl.pathname]);
    });

    it('checks the container with the bundled script, which asks a route Tessera answers on its port', () => {
      const [check] = instructionsOf(runtime, 'HEALTHCHECK');
      expect(execForm(check!, 'CMD')).toEqual(['node', 'dist/src/healthcheck.js']);
      // dist/src/healthcheck.js is the build of src/healthcheck.ts, whose healthcheckUrl this is.
      expect(existsSync(resolve(ROOT, 'src/healthcheck.ts'))).toBe(true);
      expect(healthUrl.port).toBe(runtimeEnv.PORT);
      expect(statuses[healthUrl.pathname]).toBe(200);
    });

    it('runs node itself in exec form (PID 1 gets SIGTERM), never npm', () => {
      const commands = instructionsOf(runtime, 'CMD');
      expect(commands.map((command) => execForm(command))).toEqual([
        ['node', '--enable-source-maps', 'dist/src/main.js'],
      ]);
      expect(instructionsOf(runtime, 'ENTRYPOINT')).toEqual([]);
    });
  });

  it('keeps everything but the build inputs out of the build context', () => {
    const rules = readRepoFile('.dockerignore')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
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
