import type { Command } from 'commander';

import { connectAdminApi, type AdminHttpClient } from './admin-http-client.ts';
import type { CliIo } from './cli-io.ts';

export const DEFAULT_URL = 'http://localhost:3000';

interface GlobalOptions {
  readonly url?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly json?: boolean;
}

/** What a command's action needs: its streams, the output mode, and the admin API. */
export interface CliContext {
  readonly io: CliIo;
  readonly json: boolean;
  /** Connects lazily, so commands that fail validation never fetch a token. */
  api(): AdminHttpClient;
}

/** Flags win over environment variables (docs/admin-api-and-cli.md#the-tessera-cli). */
export function contextFor(command: Command, io: CliIo): CliContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  let api: AdminHttpClient | undefined;
  return {
    io,
    json: options.json === true,
    api() {
      api ??= connectAdminApi({
        url: options.url ?? io.env.TESSERA_URL ?? DEFAULT_URL,
        clientId: options.clientId ?? io.env.TESSERA_CLIENT_ID,
        clientSecret: options.clientSecret ?? io.env.TESSERA_CLIENT_SECRET,
      });
      return api;
    },
  };
}

/** Wraps an action so it gets a CliContext instead of commander's raw arguments. */
export function action<A extends unknown[]>(
  io: CliIo,
  run: (context: CliContext, ...args: A) => Promise<void>,
) {
  return async function commandAction(this: Command, ...args: unknown[]): Promise<void> {
    await run(contextFor(this, io), ...(args.slice(0, -1) as A));
  };
}
