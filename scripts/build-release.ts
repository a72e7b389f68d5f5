/**
 * Performs the Dockerfile's build without Docker, so the image recipe is tested where no Docker
 * engine runs (this machine, CI's test job). Each step mirrors one in the Dockerfile:
 *
 *   build stage    copy the sources, `npm ci`, `npm run build`          → <out>/build/{dist,bin}
 *   deps stage     copy the manifests, `npm ci --omit=dev --ignore-scripts` → <out>/deps/node_modules
 *   runtime stage  package.json + production node_modules + dist + bin  → <out>/app
 *
 * Start the result with `node dist/src/main.js` inside <out>/app; `bin/tessera.js` is the CLI
 * (it runs dist/ where no sources are). Keep this file and the
 * Dockerfile in step. Usage: `sh scripts/node24.sh node scripts/build-release.ts <out-dir>`.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** What the Dockerfile's build stage copies (its COPY lines), relative to the repository. */
export const BUILD_INPUTS = [
  'package.json',
  'package-lock.json',
  'scripts/node24.sh',
  'scripts/build.ts',
  'bin/tessera.js',
  'bin/cli-entry.js',
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.events.json',
  'src',
  'adapters',
  'keys',
] as const;

/** What the deps stage copies: the manifests only, so its layer caches until they change. */
export const DEPS_INPUTS = ['package.json', 'package-lock.json'] as const;

export interface ReleaseBuild {
  /** The runtime directory: package.json, production node_modules, dist/, bin/. */
  readonly appDir: string;
  /** Wall-clock seconds per stage. */
  readonly seconds: { readonly build: number; readonly deps: number };
}

export async function buildRelease(
  outDir: string,
  options: { readonly log?: (line: string) => void } = {},
): Promise<ReleaseBuild> {
  const log = options.log ?? (() => undefined);
  const buildDir = join(outDir, 'build');
  const depsDir = join(outDir, 'deps');
  const appDir = join(outDir, 'app');

  let started = performance.now();
  copyInputs(BUILD_INPUTS, buildDir);
  // --prefer-offline: reuse the npm cache without revalidating every package (Docker's
  // equivalent is the cache mount on /root/.npm).
  await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], buildDir, log);
  await run('npm', ['run', 'build'], buildDir, log);
  const build = (performance.now() - started) / 1000;

  started = performance.now();
  copyInputs(DEPS_INPUTS, depsDir);
  // --ignore-scripts: no registry code runs while building the runtime layer. No dependency
  // needs a native build (passwords use node:crypto's argon2).
  await run(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
    depsDir,
    log,
  );
  const deps = (performance.now() - started) / 1000;

  mkdirSync(appDir, { recursive: true });
  cpSync(join(depsDir, 'package.json'), join(appDir, 'package.json'));
  renameSync(join(depsDir, 'node_modules'), join(appDir, 'node_modules'));
  renameSync(join(buildDir, 'dist'), join(appDir, 'dist'));
  renameSync(join(buildDir, 'bin'), join(appDir, 'bin'));
  return { appDir, seconds: { build, deps } };
}

function copyInputs(inputs: readonly string[], into: string): void {
  for (const input of inputs) {
    const target = join(into, input);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(ROOT, input), target, {
      recursive: true,
      // Tests living beside sources never reach the image (.dockerignore does the same).
      filter: (source) => !source.endsWith('.test.ts'),
    });
  }
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  log: (line: string) => void,
): Promise<void> {
  log(`$ ${command} ${args.join(' ')}  (in ${cwd})`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      // The running Node (24+) first on PATH, as scripts/node24.sh arranges.
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) {
        resolvePromise();
      } else {
        reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${output}`));
      }
    });
  });
}

if (import.meta.main) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node scripts/build-release.ts <out-dir>');
    process.exit(2);
  }
  const release = await buildRelease(resolve(outDir), { log: (line) => console.log(line) });
  console.log(
    `release in ${release.appDir} (build ${release.seconds.build.toFixed(1)} s, ` +
      `production deps ${release.seconds.deps.toFixed(1)} s)`,
  );
}
