import { request, type ClientRequest } from 'node:http';

/**
 * Starts a token request whose body never finishes arriving: it stays in flight until the test
 * sends the rest (`finish`) or the server gives up on it.
 */
export function startSlowRequest(origin: string): {
  req: ClientRequest;
  response: Promise<number>;
  finish: () => void;
} {
  const { hostname, port } = new URL(origin);
  const body = 'grant_type=client_credentials';
  let req!: ClientRequest;
  const response = new Promise<number>((resolve, reject) => {
    req = request(
      {
        host: hostname === 'localhost' ? '127.0.0.1' : hostname,
        port,
        method: 'POST',
        path: '/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 5));
  });
  return { req, response, finish: () => req.end(body.slice(5)) };
}
