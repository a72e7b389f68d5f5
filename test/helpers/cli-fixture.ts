import { runTessera } from './cli-runner.ts';
import { startTestTessera, testSecrets, type TestTessera } from './test-tessera.ts';

export interface CliFixture {
  readonly t: TestTessera;
  /** The server's own environment: what `tessera init` and `migrate` need. */
  readonly storeEnv: Record<string, string>;
  /** URL and admin credentials: what every API command needs. */
  readonly env: Record<string, string>;
  readonly admin: { readonly clientId: string; readonly clientSecret: string };
}

/**
 * A real Tessera on port 0 plus an admin client made the way an operator makes one:
 * `tessera init` run as a child process against the server's store while it is running.
 */
export async function startCliFixture(env: Record<string, string> = {}): Promise<CliFixture> {
  const secrets = testSecrets();
  const t = await startTestTessera({ ...secrets, ...env });
  const storeEnv = { TESSERA_DATA_DIR: t.dataDir, ...secrets, LOG_LEVEL: 'error' };
  const init = await runTessera(['init', '--json'], storeEnv);
  if (init.code !== 0) throw new Error(`tessera init failed (${init.code}): ${init.stderr}`);
  const { client_id: clientId, client_secret: clientSecret } = init.json() as {
    client_id: string;
    client_secret: string;
  };
  return {
    t,
    storeEnv,
    env: {
      TESSERA_URL: t.issuer,
      TESSERA_CLIENT_ID: clientId,
      TESSERA_CLIENT_SECRET: clientSecret,
    },
    admin: { clientId, clientSecret },
  };
}
