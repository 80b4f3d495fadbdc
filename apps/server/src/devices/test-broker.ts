// Test support for the simulator: a bare aedes broker that a test controls
// (which credentials it takes, when it acknowledges, when it goes away), and
// throwaway certificates made with the openssl command. The simulator's
// behaviour against Helio's real gateway is tested by the gateway's and the
// README's tests; here the broker is only the far end of the wire.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';

export interface ReceivedMessage {
  clientId: string;
  topic: string;
  payload: Buffer;
  qos: number;
}

export interface TestBrokerOptions {
  /** Decides each CONNECT (default: accept). */
  authenticate?: (client: Client, username: string | undefined, password: Buffer | undefined) => boolean;
  tls?: { key: string; cert: string; ca: string };
}

export interface TestBroker {
  port: number;
  /** The TLS listener's port (0 without `tls`). */
  tlsPort: number;
  received: ReceivedMessage[];
  /** Subject CN of each TLS client's certificate, by client id. */
  peerCommonNames: Map<string, string>;
  /** Connections accepted (TCP or TLS), refused ones included. */
  connections: number;
  /** While set, PUBACKs wait (the messages are not taken in either). */
  holdAcks: boolean;
  /** Publishes to subscribers (QoS 1), as the gateway publishes a command. */
  publish(topic: string, payload: string): Promise<void>;
  /** Resolves when `predicate` holds over what was received, polling. */
  waitFor(predicate: (received: ReceivedMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening and cuts every connection; `start` listens again on the same ports. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Cuts every connection and keeps listening. */
  dropClients(): void;
  close(): Promise<void>;
}

export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const ok = options.authenticate ? options.authenticate(client, username, password) : true;
      if (ok) return done(null, true);
      const err = Object.assign(new Error('refused'), { returnCode: 5 }) as AuthenticateError;
      done(err, false);
    },
    authorizePublish: (client, packet, done) => {
      if (!client) return done(null);
      const take = () => {
        broker.received.push({ clientId: client.id, topic: packet.topic, payload: Buffer.from(packet.payload), qos: packet.qos });
        done(null);
      };
      if (broker.holdAcks) held.push(() => done(new Error('dropped while held')));
      else take();
    },
  });
  aedes.on('clientReady', (client) => {
    const socket = client.conn as TLSSocket;
    const cn = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate()?.subject?.CN : undefined;
    if (cn) broker.peerCommonNames.set(client.id, Array.isArray(cn) ? cn[0]! : cn);
  });

  const track = (socket: Socket) => {
    broker.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  };
  let tcp: Server | null = null;
  let tlsServer: Server | null = null;
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const closeServer = (server: Server | null) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

  const broker: TestBroker = {
    port: 0,
    tlsPort: 0,
    received: [],
    peerCommonNames: new Map(),
    connections: 0,
    holdAcks: false,
    publish: (topic, payload) =>
      new Promise((resolve, reject) =>
        aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false } as PublishPacket,
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(broker.received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting; received ${broker.received.length} messages`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async start() {
      tcp = createServer(track);
      broker.port = await listen(tcp, broker.port);
      if (options.tls) {
        tlsServer = createTlsServer({ ...options.tls, requestCert: true, rejectUnauthorized: false }, (s) => track(s));
        broker.tlsPort = await listen(tlsServer, broker.tlsPort);
      }
    },
    dropClients() {
      for (const s of sockets) s.destroy();
      held.splice(0).forEach((release) => release());
    },
    async stop() {
      const closing = Promise.all([closeServer(tcp), closeServer(tlsServer)]);
      broker.dropClients();
      await closing;
    },
    async close() {
      await broker.stop();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
  await broker.start();
  return broker;
}

export interface TestCertificates {
  ca: string;
  caKey: string;
  /** The broker's certificate, for localhost and 127.0.0.1. */
  serverCert: string;
  serverKey: string;
  /** The broker's certificate for another host name only. */
  otherHostCert: string;
  otherHostKey: string;
  /** A client certificate with CN = `plantId`. */
  clientCert: string;
  clientKey: string;
  /** A CA nobody trusts. */
  strangerCa: string;
}

/** A CA, server and client certificates on P-256 keys, valid for a day. */
export function makeTestCertificates(plantId: string): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'helio-device-certs-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    openssl('req', '-x509', ...key, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-subj', '/CN=Test device CA', '-days', '1');
    openssl(
      'req',
      '-x509',
      ...key,
      '-keyout',
      path('stranger.key'),
      '-out',
      path('stranger.pem'),
      '-subj',
      '/CN=Stranger CA',
      '-days',
      '1',
    );
    const issue = (name: string, subject: string, extensions: string) => {
      openssl('req', ...key, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`), '-subj', subject);
      writeFileSync(path(`${name}.ext`), extensions);
      openssl(
        'x509',
        '-req',
        '-in',
        path(`${name}.csr`),
        '-CA',
        path('ca.pem'),
        '-CAkey',
        path('ca.key'),
        '-CAcreateserial',
        '-out',
        path(`${name}.pem`),
        '-days',
        '1',
        '-extfile',
        path(`${name}.ext`),
      );
    };
    issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    issue('other', '/CN=gateway.example', 'subjectAltName=DNS:gateway.example\nextendedKeyUsage=serverAuth\n');
    issue('client', `/CN=${plantId}`, `subjectAltName=URI:urn:helio:plant:${plantId}\nextendedKeyUsage=clientAuth\n`);
    const read = (name: string) => readFileSync(path(name), 'utf8');
    return {
      ca: read('ca.pem'),
      caKey: read('ca.key'),
      serverCert: read('server.pem'),
      serverKey: read('server.key'),
      otherHostCert: read('other.pem'),
      otherHostKey: read('other.key'),
      clientCert: read('client.pem'),
      clientKey: read('client.key'),
      strangerCa: read('stranger.pem'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
