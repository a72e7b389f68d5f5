import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { envSchema } from '../../src/config/env-schema.ts';
import { startTestTessera } from '../helpers/test-tessera.ts';

/** The repository root, where the deployment files live. */
export const ROOT = resolve(import.meta.dirname, '../..');

export const readRepoFile = (path: string): string => readFileSync(resolve(ROOT, path), 'utf8');

/** Every environment variable Tessera reads: the keys of its zod schema. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(Object.keys(envSchema.shape));

/**
 * The variables whose values are credentials: keys and peppers that protect stored data and
 * sessions, the metrics bearer token, and the two connection settings that carry passwords.
 * Deployment files must take them from a secret store (a Kubernetes Secret, the environment)
 * and never write a value for them.
 */
export const SECRET_VARIABLES: readonly string[] = [
  'TESSERA_KEY_ENCRYPTION_KEY',
  'TESSERA_COOKIE_KEYS',
  'TESSERA_SECRET_PEPPER',
  'TESSERA_METRICS_TOKEN',
  'MONGODB_URI',
  'KAFKA_SASL_PASSWORD',
];

/** One Dockerfile instruction, its line continuations joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface DockerStage {
  readonly name: string;
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** Instructions before the first FROM (ARG). */
  readonly preamble: readonly Instruction[];
  readonly stages: readonly DockerStage[];
  stage(name: string): DockerStage;
}

/**
 * Parses a Dockerfile the way the builder reads it (Dockerfile reference, "Format"): comment
 * lines are dropped, even inside a continued instruction; a trailing backslash continues the
 * instruction on the next line; the first word is the keyword.
 */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    const continued = line.endsWith('\\');
    pending += `${continued ? line.slice(0, -1) : line} `;
    if (continued) continue;
    const [keyword = '', ...rest] = pending.trim().split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') });
    pending = '';
  }
  const firstFrom = instructions.findIndex((instruction) => instruction.keyword === 'FROM');
  const stages: DockerStage[] = [];
  for (const instruction of instructions.slice(firstFrom)) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(' ');
      stages.push({
        name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length),
        from,
        instructions: [],
      });
    } else {
      (stages.at(-1)!.instructions as Instruction[]).push(instruction);
    }
  }
  return {
    preamble: instructions.slice(0, firstFrom),
    stages,
    stage(name) {
      const found = stages.find((stage) => stage.name === name);
      if (!found) throw new Error(`the Dockerfile has no stage ${name}`);
      return found;
    },
  };
}

/** The instructions of a stage with `keyword`. */
export const instructionsOf = (stage: DockerStage, keyword: string): Instruction[] =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword);

/** `ENV a=1 b=2` (the key=value form) as a record; later instructions win. */
export function envOf(stage: DockerStage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructionsOf(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`ENV ${args}: only the key=value form is parsed here`);
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** An instruction's exec-form command (`CMD ["node", …]`), after any `--option=value` flags. */
export function execForm(instruction: Instruction, after = ''): string[] {
  const start = instruction.args.indexOf('[', after ? instruction.args.indexOf(after) : 0);
  if (start === -1) throw new Error(`${instruction.keyword} ${instruction.args}: not exec form`);
  return JSON.parse(instruction.args.slice(start)) as string[];
}

/** The numeric `uid:gid` of the last USER instruction of a stage. */
export function userOf(stage: DockerStage): { uid: number; gid: number } {
  const user = instructionsOf(stage, 'USER').at(-1)?.args ?? '';
  const match = /^(\d+):(\d+)$/.exec(user);
  if (!match) throw new Error(`USER ${user}: expected numeric uid:gid`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

/**
 * A shell script's simple commands as words, the way sh splits them before expansion: quotes
 * group and are removed, a backslash-newline continues the line, and unquoted newlines, `;`,
 * `&&` and `||` end a command (enough for these scripts: no expansion, no redirections).
 */
export function shellCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let at = 0; at < script.length; at += 1) {
    const char = script[at]!;
    const pair = script.slice(at, at + 2);
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (pair === '\\\n') {
      at += 1;
      endWord();
    } else if (pair === '&&' || pair === '||') {
      at += 1;
      endCommand();
    } else if (char === '\n' || char === ';') {
      endCommand();
    } else if (/\s/.test(char)) {
      endWord();
    } else {
      word = (word ?? '') + char;
    }
  }
  endCommand();
  return commands;
}

export const readDockerfile = (): Dockerfile => parseDockerfile(readRepoFile('Dockerfile'));

/**
 * Status codes a real Tessera (development mode, SQLite, port 0) answers to GET `paths`, with
 * `headers`: the routes deployment files point probes, health checks and scrapes at.
 */
export async function statusesOfRunningTessera(
  paths: readonly string[],
  env: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Record<string, number>> {
  const t = await startTestTessera(env);
  try {
    const statuses: Record<string, number> = {};
    for (const path of paths) {
      const response = await fetch(new URL(path, t.issuer), { headers });
      await response.body?.cancel();
      statuses[path] = response.status;
    }
    return statuses;
  } finally {
    await t.stop();
  }
}
