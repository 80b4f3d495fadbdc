// The TLS listener's identity: a server certificate issued at start by
// Helio's device CA, the CA every provisioning package carries, for the host
// devices are told to use and the loopback names. Its key lives in memory
// only; every start issues a new one.
//
// Client certificates are requested but not enforced by TLS
// (`rejectUnauthorized: false`): TOKEN and PASSWORD plants may use TLS without
// one, and the CONNECT decides (authenticatePlant checks an MTLS plant's
// certificate against the CA, its validity and the plant's current fingerprint).
import { isIP } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { plants } from '@helio/core';

/** Names the certificate must carry: the public host, the listening host (unless a wildcard) and loopback. */
export function serverNames(publicHost: string, listenHost: string): string[] {
  const names = [publicHost, listenHost, 'localhost', '127.0.0.1', '::1']
    .map((n) => n.replace(/^\[(.*)\]$/, '$1'))
    .filter((n) => n !== '' && !['0.0.0.0', '::', '::0'].includes(n));
  return [...new Set(names)].filter((n) => isIP(n) !== 0 || /^[A-Za-z0-9.-]+$/.test(n));
}

export async function gatewayTlsOptions(
  ca: plants.DeviceCa,
  opts: { publicHost: string; listenHost: string; now: Date },
): Promise<TlsOptions & { handshakeTimeout: number }> {
  const issued = await ca.issueServer({ hosts: serverNames(opts.publicHost, opts.listenHost), now: opts.now, validityDays: 397 });
  return {
    key: issued.keyPem ?? undefined,
    cert: issued.certPem,
    ca: [ca.certPem],
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    // A client that opens a socket and never finishes the handshake is cut (the CONNECT has its own timeout).
    handshakeTimeout: 10_000,
  };
}
