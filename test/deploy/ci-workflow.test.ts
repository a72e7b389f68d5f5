import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';
import { isPair, isScalar, parse, parseDocument, visit } from 'yaml';

import { envSchema } from '../../src/config/env-schema.ts';
import {
  envOf,
  KNOWN_VARIABLES,
  readDockerfile,
  readRepoFile,
  SECRET_VARIABLES,
  shellCommands,
  statusesOfRunningTessera,
  userOf,
} from './deploy-files.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  strategy?: { matrix: Record<string, unknown[]> };
  services?: Record<string, { image: string; env: Record<string, unknown>; options?: string }>;
  env?: Record<string, string>;
  steps: Step[];
}

const source = readRepoFile('.github/workflows/ci.yml');
const workflow = parse(source) as {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};
const { test, image } = workflow.jobs;
const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run] : []));

const commandsOf = (job: Job): string[][] => runs(job).flatMap(shellCommands);

/** The `docker run` of the image job, its `--env NAME=value` and `--publish` options parsed. */
function dockerRun() {
  const words = commandsOf(image!).find(
    (command) => command[0] === 'docker' && command[1] === 'run',
  );
  if (!words) throw new Error('the image job runs no container');
  const values = (option: string) =>
    words.flatMap((word, index) => (word === option ? [words[index + 1]!] : []));
  const env = Object.fromEntries(
    values('--env').map((pair) => [
      pair.slice(0, pair.indexOf('=')),
      pair.slice(pair.indexOf('=') + 1),
    ]),
  );
  const [host, container] = (values('--publish')[0] ?? '').split(':').map(Number);
  return { words, env, publish: { host, container } };
}

/** The URLs the image job fetches from the running container. */
const curledUrls = () =>
  commandsOf(image!)
    .filter((command) => command[0] === 'curl')
    .map((command) => new URL(command.find((word) => word.startsWith('http'))!));

describe('.github/workflows/ci.yml', () => {
  it('runs on pushes to main and on pull requests, with read-only repository access', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('pins every action to a full commit SHA, naming the release in a comment', () => {
    const pins: { action: string; comment: string | null | undefined }[] = [];
    visit(parseDocument(source), {
      Pair(_, pair) {
        if (isPair(pair) && isScalar(pair.key) && pair.key.value === 'uses') {
          const value = pair.value;
          if (isScalar(value)) pins.push({ action: String(value.value), comment: value.comment });
        }
      },
    });
    expect(pins.length).toBe(
      Object.values(workflow.jobs).flatMap((job) => job.steps.filter((step) => step.uses)).length,
    );
    for (const { action, comment } of pins) {
      expect(action).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
      expect(comment?.trim()).toMatch(/^v\d+\.\d+\.\d+$/);
    }
  });

  it('tests on Node.js 24 and 26, with the npm cache', () => {
    expect(test!.strategy!.matrix.node).toEqual(['24', '26']);
    const setupNode = test!.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    expect(setupNode!.with).toEqual({ 'node-version': '${{ matrix.node }}', cache: 'npm' });
  });

  it('runs install, typecheck, lint, format check and the whole suite', () => {
    const commands = commandsOf(test!).map((words) => words.join(' '));
    expect(commands).toEqual(
      expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run check', 'npm test']),
    );
    const scripts = (
      JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }
    ).scripts;
    // `npm run check` runs each of these scripts, and `npm test` runs vitest.
    for (const part of ['typecheck', 'lint', 'format:check']) {
      expect(scripts.check).toContain(`npm run ${part}`);
      expect(scripts[part]).toBeDefined();
    }
    expect(scripts.test).toMatch(/\bvitest run$/);
  });

  it('gives the suite a real MongoDB replica set and a real Kafka', () => {
    const mongo = commandsOf(test!).find((words) => words[0] === 'docker' && words[1] === 'run');
    const image = mongo?.findIndex((word) => /^mongo:\d+\.\d+$/.test(word)) ?? -1;
    expect(image).toBeGreaterThan(0);
    expect(mongo?.slice(image + 1, image + 3)).toEqual(['--replSet', 'rs0']);
    const initiate = commandsOf(test!)
      .find((words) => words.includes('mongosh'))
      ?.join(' ');
    expect(initiate).toContain("rs.initiate({ _id: 'rs0'");
    expect(new URL(test!.env!.MONGODB_URI!).searchParams.get('replicaSet')).toBe('rs0');

    const kafka = test!.services!.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(kafka.env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.env.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${test!.env!.KAFKA_BROKERS}`);
    expect(kafka.options).toContain('--health-cmd');
  });

  it('provides Chromium for the browser tests and the toolchains the fault drills build with', () => {
    expect(
      runs(test!).some((command) =>
        command.includes('apt-get install --yes --no-install-recommends chromium'),
      ),
    ).toBe(true);
    expect(runs(test!)).toContain('npm run services:provision');
    const actions = test!.steps.map((step) => step.uses?.split('@')[0]);
    expect(actions).toEqual(
      expect.arrayContaining(['actions/setup-go', 'actions/setup-java', 'actions/cache']),
    );
  });

  it('gives the suite its services through variables Tessera and the test setup read', () => {
    // test/global-setup.ts uses the first two instead of starting FerretDB and Kafka; the third
    // is read only by test/mongodb/server-profile.test.ts (which MongoDB paths this CI runs).
    const env = Object.keys(test!.env ?? {}).sort();
    expect(env).toEqual(['KAFKA_BROKERS', 'MONGODB_URI', 'TESSERA_TEST_MONGODB_PATHS']);
    for (const name of ['KAFKA_BROKERS', 'MONGODB_URI'])
      expect(KNOWN_VARIABLES.has(name)).toBe(true);
    const profileTest = readFileSync('test/mongodb/server-profile.test.ts', 'utf8');
    expect(profileTest).toContain("process.env['TESSERA_TEST_MONGODB_PATHS']");
  });

  describe('the container image job', () => {
    const runtime = readDockerfile().stage('runtime');
    const run = dockerRun();
    let statuses: Record<string, number>;
    beforeAll(async () => {
      statuses = await statusesOfRunningTessera(curledUrls().map((url) => url.pathname));
    });

    it('builds the image and validates the compose file', () => {
      const commands = commandsOf(image!).map((words) => words.join(' '));
      expect(commands).toContain('docker build --tag tessera:ci .');
      expect(commands).toContain('docker compose config --quiet');
      expect(run.words.at(-1)).toBe('tessera:ci');
    });

    it('starts it read-only in production mode with variables Tessera reads, generating every secret', () => {
      expect(run.words).toEqual(expect.arrayContaining(['--read-only', '--tmpfs', '/tmp']));
      expect(Object.keys(run.env).filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
      expect(new URL(run.env.TESSERA_ISSUER!).protocol).toBe('https:');
      for (const name of SECRET_VARIABLES.filter((variable) => variable in run.env)) {
        expect(run.env[name], name).toBe('$(key)');
      }
      // The image's NODE_ENV is production, so these three must be set or it refuses to start.
      expect(Object.keys(run.env)).toEqual(
        expect.arrayContaining([
          'TESSERA_KEY_ENCRYPTION_KEY',
          'TESSERA_COOKIE_KEYS',
          'TESSERA_SECRET_PEPPER',
        ]),
      );
    });

    it("checks routes a running Tessera answers, on the port the image's Tessera listens on", () => {
      expect(run.publish.container).toBe(Number(envOf(runtime).PORT));
      const urls = curledUrls();
      expect(urls.map((url) => url.pathname).sort()).toEqual(['/metrics', '/readyz']);
      for (const url of urls) {
        expect(Number(url.port)).toBe(run.publish.host);
        expect(statuses[url.pathname], url.pathname).toBe(200);
      }
    });

    it("checks the image's user is the Dockerfile's non-root one", () => {
      const { uid, gid } = userOf(runtime);
      const expectation = commandsOf(image!).find((words) =>
        words.some((word) => word.includes('{{.Config.User}}')),
      );
      expect(expectation?.slice(-2)).toEqual(['=', `${uid}:${gid}`]);
    });

    it('stops it with more time than the drain and shutdown steps take, expecting exit code 0', () => {
      const stop = commandsOf(image!).find((words) => words[0] === 'docker' && words[1] === 'stop');
      const seconds = Number(stop?.[stop.indexOf('--time') + 1]);
      const defaults = envSchema.parse({});
      expect(seconds * 1000).toBeGreaterThan(
        defaults.TESSERA_SHUTDOWN_DELAY_MS + 2 * defaults.TESSERA_SHUTDOWN_TIMEOUT_MS,
      );
      const exitCode = commandsOf(image!).find((words) =>
        words.some((word) => word.includes('{{.State.ExitCode}}')),
      );
      expect(exitCode?.slice(-2)).toEqual(['=', '0']);
    });
  });
});
