import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import { closeServer } from '../lifecycle/close-server.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The listening server. It listens before anything else is built and answers 503 "starting"
 * until `serve` hands it the app, so that a platform probing the port sees a process that is
 * up but not ready rather than a refused connection.
 */
export interface HttpComponent extends StartedComponent {
  readonly server: Server;
  readonly port: number;
  /** TESSERA_ISSUER, or the loopback origin of the bound port. */
  readonly issuer: string;
  /** True from `turnReadinessOff` on: /readyz answers 503 "shutting down". */
  isShuttingDown(): boolean;
  /** Serves every later request with `listener` (the app) instead of "starting". */
  serve(listener: RequestListener): void;
  /** /readyz turns 503 and each connection is let go after its response. */
  turnReadinessOff(): void;
  /** Keeps serving for `delayMs`, so that load balancers notice and drain. */
  keepServingFor(delayMs: number): Promise<void>;
  /** Stops accepting and lets in-flight requests finish, cutting them off after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

const answerStarting: RequestListener = (_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end('{"error":"temporarily_unavailable","error_description":"starting"}');
};

export async function listenForHttp(
  config: Config,
  deps: { readonly logger: Logger },
): Promise<HttpComponent> {
  const { logger } = deps;
  let shuttingDown = false;
  let handler = answerStarting;
  const server = createServer((req, res) => {
    // While stopping, let each connection go after its response so clients reconnect elsewhere.
    if (shuttingDown) res.setHeader('connection', 'close');
    handler(req, res);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await listen(server, config.http.port, config.http.host);
  const { port } = server.address() as AddressInfo;
  return {
    name: 'http',
    server,
    port,
    issuer: config.http.issuer ?? `http://localhost:${port}`,
    isShuttingDown: () => shuttingDown,
    serve(listener) {
      handler = listener;
    },
    turnReadinessOff() {
      shuttingDown = true;
    },
    async keepServingFor(delayMs) {
      if (delayMs <= 0) return;
      logger.info({ delayMs }, 'readiness off; serving until drain');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    },
    close: (timeoutMs) => closeServer(server, timeoutMs, logger),
    // Only "starting" answers were ever given: no drain to wait for.
    abort() {
      server.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
