import { describe, expect, it } from 'vitest';

import { healthcheckUrl } from '../../src/healthcheck.ts';

describe('the container health check', () => {
  it('probes loopback on port 3000 when nothing is configured', () => {
    expect(healthcheckUrl({})).toBe('http://127.0.0.1:3000/healthz');
  });

  it.each(['0.0.0.0', '::'])('probes loopback when the server binds the wildcard %s', (host) => {
    expect(healthcheckUrl({ HOST: host, PORT: '8080' })).toBe('http://127.0.0.1:8080/healthz');
  });

  it('probes the one address the server binds, bracketing IPv6', () => {
    expect(healthcheckUrl({ HOST: '10.0.0.7', PORT: '3000' })).toBe('http://10.0.0.7:3000/healthz');
    expect(healthcheckUrl({ HOST: '::1', PORT: '3000' })).toBe('http://[::1]:3000/healthz');
  });
});
