import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import { createTestClient, postTokenForm, requester, twoTenantApp, type TwoTenantApp } from '../testing.js';

/** Reads server-sent events from a streaming fetch response. */
async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => !l.startsWith(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
      );
      if (fields['event']) yield { event: fields['event'], data: fields['data'] ?? '' };
    }
  }
}

describeEachEngine('GET /sync/events', (engine) => {
  let w: TwoTenantApp;
  let base: string;
  beforeEach(async () => {
    w = await twoTenantApp(engine);
    await w.t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = w.t.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterEach(() => w.t.close());

  it('tells a signed-in member when their organisation changes, and nothing of other organisations', async () => {
    const client = await createTestClient(w.t.services, { grants: ['password'] });
    const token = (
      await postTokenForm(w.t, {
        grant_type: 'password',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        username: w.a.owner.email,
        password: w.a.owner.password,
      })
    ).json().access_token as string;
    const controller = new AbortController();
    const res = await fetch(`${base}/sync/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = events(res.body!);
    expect((await stream.next()).value).toMatchObject({ event: 'ready' });

    // A write in the other organisation first, then one in ours: only ours is announced.
    expect((await w.asB('POST', '/api/sites', { siteName: 'Elsewhere' })).statusCode).toBe(201);
    expect((await requester(w.t, w.a.keys.technician)('POST', '/api/sites', { siteName: 'Ours' })).statusCode).toBe(201);
    const next = await stream.next();
    expect(next.value).toMatchObject({ event: 'change' });
    expect(JSON.parse(next.value!.data)).toMatchObject({ organisationId: w.a.organisationId, changeSeq: expect.any(Number) });
    controller.abort();
  });

  it('refuses a stream without credentials', async () => {
    const res = await fetch(`${base}/sync/events`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
