import { request, type ClientRequest } from 'node:http';

/** A request whose body is held back: in flight at the server until the test finishes it. */
export interface HeldRequest<T> {
  /**
   * Resolves once the server has the request: it answered `Expect: 100-continue` (RFC 9110
   * section 10.1.1), which Node's server does when it hands the request to the application. An
   * event to wait for instead of a sleep that "should be enough" for the request to arrive.
   */
  readonly arrived: Promise<void>;
  readonly response: Promise<T>;
  /** Sends the rest of the body (after the request has arrived). */
  finish(): void;
}

/**
 * Starts a POST /token whose body never finishes arriving: it stays in flight until the test
 * sends the rest (`finish`) or the server gives up on it.
 */
export function holdTokenRequest(
  origin: string,
  body: string,
  headers: Record<string, string> = {},
): HeldRequest<{ status: number; text: string }> {
  const { hostname, port } = new URL(origin);
  let req!: ClientRequest;
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req = request(
      {
        host: hostname === 'localhost' ? '127.0.0.1' : hostname,
        port,
        method: 'POST',
        path: '/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          expect: '100-continue',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.on('continue', () => {
      req.write(body.slice(0, 5));
      arrive();
    });
    req.flushHeaders();
  });
  return {
    arrived,
    response,
    finish: () => void arrived.then(() => req.end(body.slice(5))),
  };
}

/** A held token request without client authentication; `response` is its status. */
export function startSlowRequest(origin: string): HeldRequest<number> {
  const held = holdTokenRequest(origin, 'grant_type=client_credentials');
  return { ...held, response: held.response.then(({ status }) => status) };
}
