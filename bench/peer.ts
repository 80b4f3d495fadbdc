// The peer of the bench: a bare node:http server answering the bytes Helio
// answered, so the ratio shows what Helio costs beyond HTTP itself.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Captured {
  status: number;
  contentType: string;
  body: Buffer;
}

/** What the peer answers: Helio's captured GET body, and its captured 201 once there is one. */
export interface PeerAnswers {
  get: Captured;
  post?: Captured;
}

export interface Peer {
  url: string;
  close(): Promise<void>;
}

export async function startPeer(answers: PeerAnswers): Promise<Peer> {
  const server = http.createServer((req, res) => {
    const answer = (c: Captured) => {
      res.writeHead(c.status, { 'content-type': c.contentType, 'content-length': c.body.length });
      res.end(c.body);
    };
    if (req.method === 'POST') {
      // Read the whole request body first, as Helio must.
      req.on('data', () => undefined);
      req.on('end', () => answer(answers.post ?? answers.get));
    } else {
      req.resume();
      answer(answers.get);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One request, its answer kept whole (to capture what the peer will send). */
export function capture(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { ...headers, 'content-type': 'application/json' } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
