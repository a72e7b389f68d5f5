import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

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

const source = readFileSync(resolve(import.meta.dirname, '../../.github/workflows/ci.yml'), 'utf8');
const workflow = parse(source) as {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};
const { test, image } = workflow.jobs;
const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run] : []));

describe('.github/workflows/ci.yml', () => {
  it('runs on pushes to main and on pull requests, with read-only repository access', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('pins every action to a full commit SHA, naming the release in a comment', () => {
    const uses = [...source.matchAll(/uses: (\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThanOrEqual(6);
    for (const [, action, comment] of uses) {
      expect(action).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });

  it('tests on Node.js 24 and 26, with the npm cache', () => {
    expect(test!.strategy!.matrix.node).toEqual(['24', '26']);
    const setupNode = test!.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    expect(setupNode!.with).toEqual({ 'node-version': '${{ matrix.node }}', cache: 'npm' });
  });

  it('runs install, typecheck, lint, format check and the whole suite', () => {
    const commands = runs(test!);
    expect(commands).toContain('npm ci --no-audit --no-fund');
    expect(commands).toContain('npm run check');
    expect(commands).toContain('npm test');
    const check = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8'),
    ).scripts.check as string;
    for (const part of ['typecheck', 'lint', 'format:check']) expect(check).toContain(part);
  });

  it('gives the suite a real MongoDB replica set and a real Kafka', () => {
    const mongoStep = runs(test!).find((command) => command.includes('docker run'))!;
    expect(mongoStep).toMatch(/\bmongo:\d+\.\d+ --replSet rs0\b/);
    expect(mongoStep).toContain("rs.initiate({ _id: 'rs0'");
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

  it('builds the image, waits for its health check, and stops it gracefully', () => {
    const commands = runs(image!).join('\n');
    expect(commands).toContain('docker build --tag tessera:ci .');
    expect(commands).toContain('docker compose config --quiet');
    expect(commands).toContain("docker inspect --format '{{.State.Health.Status}}' tessera");
    expect(commands).toContain('docker stop --time 30 tessera');
    expect(commands).toContain(
      'test "$(docker inspect --format \'{{.State.ExitCode}}\' tessera)" = 0',
    );
  });
});
