import { request, type ClientRequest } from 'node:http';

/**
 * Starts a POST /token whose body never finishes arriving: it stays in flight until the test
 * sends the rest (`finish`) or the server gives up on it.
 */
export function holdTokenRequest(
  origin: string,
  body: string,
  headers: Record<string, string> = {},
): { response: Promise<{ status: number; text: string }>; finish: () => void } {
  const { hostname, port } = new URL(origin);
  let req!: ClientRequest;
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
    req.write(body.slice(0, 5));
  });
  return { response, finish: () => req.end(body.slice(5)) };
}

/** A held token request without client authentication; `response` is its status. */
export function startSlowRequest(origin: string): {
  response: Promise<number>;
  finish: () => void;
} {
  const held = holdTokenRequest(origin, 'grant_type=client_credentials');
  return { response: held.response.then(({ status }) => status), finish: held.finish };
}
