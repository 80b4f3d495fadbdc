import { DESKTOP_CLIENT_ID } from '@helio/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import {
  createTenant,
  createTestApp,
  createTestClient,
  manualClock,
  postTokenForm,
  requester,
  type TestApp,
  type TestTenant,
} from '../testing.js';

interface Client {
  clientId: string;
  clientSecret: string;
}

describeEachEngine('POST /oauth/token', (engine) => {
  let clock: ReturnType<typeof manualClock>;
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let app: Client;
  beforeEach(async () => {
    clock = manualClock();
    t = await createTestApp(engine, { clock });
    a = await createTenant(t.services);
    b = await createTenant(t.services);
    app = await createTestClient(t.services, { grants: ['password', 'refresh_token'] });
  });
  afterEach(() => t.close());

  const credentialsOf = (client: Client) => ({ client_id: client.clientId, client_secret: client.clientSecret });
  const passwordGrant = (tenant: TestTenant, client = app) =>
    postTokenForm(t, { grant_type: 'password', ...credentialsOf(client), username: tenant.owner.email, password: tenant.owner.password });
  const refreshGrant = (refreshToken: string, client = app) =>
    postTokenForm(t, { grant_type: 'refresh_token', ...credentialsOf(client), refresh_token: refreshToken });
  const sitesWith = (token: string) => requester(t, token, 'bearer')('GET', '/api/sites');

  it('issues an access and a refresh token for the password grant, shaped as the Locus API returns them', async () => {
    const res = await passwordGrant(a);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      issued_at: Math.floor(clock.now().getTime() / 1000),
      token_type: 'bearer',
      refresh_token: expect.any(String),
      expires_in: 3600,
    });
    expect(Number.isInteger(body.issued_at)).toBe(true);
    expect(body.access_token).not.toBe(body.refresh_token);

    const site = await requester(t, body.access_token, 'bearer')('POST', '/api/sites', { siteName: 'Via OAuth' });
    expect(site.json()).toMatchObject({ organisationId: a.organisationId });
    expect((await sitesWith(body.access_token)).json()).toEqual([site.json()]);
    // A refresh token is not a bearer credential.
    expect((await sitesWith(body.refresh_token)).statusCode).toBe(401);
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes every token of its session', async () => {
    const first = (await passwordGrant(a)).json();
    const second = await refreshGrant(first.refresh_token);
    expect(second.statusCode).toBe(200);
    const rotated = second.json();
    expect(rotated).toMatchObject({ token_type: 'bearer', expires_in: 3600, refresh_token: expect.any(String) });
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    expect((await sitesWith(rotated.access_token)).statusCode).toBe(200);

    // Presenting the old one again, past the grace for a lost answer, looks like theft: it fails, and so does all that descends from it.
    clock.advance(61);
    const reused = await refreshGrant(first.refresh_token);
    expect(reused.statusCode).toBe(400);
    expect(reused.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/already used/) });
    expect((await refreshGrant(rotated.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await sitesWith(rotated.access_token)).statusCode).toBe(401);
    expect((await sitesWith(first.access_token)).statusCode).toBe(401);

    // Another session of the same user is untouched.
    const other = (await passwordGrant(a)).json();
    expect((await sitesWith(other.access_token)).statusCode).toBe(200);
    expect((await refreshGrant(other.refresh_token)).statusCode).toBe(200);
  });

  const revoke = (fields: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });

  it('revokes a refresh token with every token of its session (RFC 7009), and answers 200 for a token it does not know', async () => {
    const first = (await passwordGrant(a)).json();
    const rotated = (await refreshGrant(first.refresh_token)).json();
    const other = (await passwordGrant(a)).json();

    const res = await revoke({ token: rotated.refresh_token, token_type_hint: 'refresh_token', ...credentialsOf(app) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toBe('');
    expect((await refreshGrant(rotated.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await sitesWith(rotated.access_token)).statusCode).toBe(401);
    expect((await sitesWith(first.access_token)).statusCode).toBe(401);
    // The answer lost right after a rotation is no way back in either.
    expect((await refreshGrant(first.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    // The user's other sign-in is untouched.
    expect((await sitesWith(other.access_token)).statusCode).toBe(200);

    // Revoked again, unknown, or an access token alone: 200 all the same.
    expect((await revoke({ token: rotated.refresh_token, ...credentialsOf(app) })).statusCode).toBe(200);
    expect((await revoke({ token: 'not a token we issued', ...credentialsOf(app) })).statusCode).toBe(200);
    expect((await revoke({ token: other.access_token, ...credentialsOf(app) })).statusCode).toBe(200);
    expect((await sitesWith(other.access_token)).statusCode).toBe(401);
    expect((await refreshGrant(other.refresh_token)).statusCode).toBe(200);
  });

  it('refuses to revoke without client credentials or for another client, and revokes nothing then', async () => {
    const tokens = (await passwordGrant(a)).json();
    const missing = await revoke({ ...credentialsOf(app), token: '' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/token/) });
    const wrongSecret = await revoke({ token: tokens.refresh_token, client_id: app.clientId, client_secret: 'wrong' });
    expect(wrongSecret.statusCode).toBe(401);
    expect(wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const other = await createTestClient(t.services, { grants: ['password', 'refresh_token'] });
    const foreign = await revoke({ token: tokens.refresh_token, ...credentialsOf(other) });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await sitesWith(tokens.access_token)).statusCode).toBe(200);
    // The desktop app, a public client, revokes its own with its client_id alone.
    const desktop = (
      await postTokenForm(t, { grant_type: 'password', client_id: DESKTOP_CLIENT_ID, username: a.owner.email, password: a.owner.password })
    ).json();
    expect((await revoke({ token: desktop.refresh_token, client_id: DESKTOP_CLIENT_ID })).statusCode).toBe(200);
    expect((await sitesWith(desktop.access_token)).statusCode).toBe(401);
  });

  it('answers a refresh presented again right after its rotation (a lost answer) while the new token is unused, and withdraws that one', async () => {
    const first = (await passwordGrant(a)).json();
    const lost = (await refreshGrant(first.refresh_token)).json();
    clock.advance(20);
    const retried = await refreshGrant(first.refresh_token);
    expect(retried.statusCode).toBe(200);
    const kept = retried.json();
    expect(kept.refresh_token).not.toBe(lost.refresh_token);
    // The retried answer carries on.
    const next = await refreshGrant(kept.refresh_token);
    expect(next.statusCode).toBe(200);
    // Once its replacement has been used, presenting the first again is theft, even within the grace: all of it is revoked.
    expect((await refreshGrant(first.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refreshGrant(next.json().refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    // And the answer that never arrived was withdrawn, never to be used.
    expect((await refreshGrant(lost.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it("issues a client_credentials token without a refresh token that acts for the client's organisation and role", async () => {
    const service = await createTestClient(t.services, {
      grants: ['client_credentials'],
      organisationId: a.organisationId,
      role: 'technician',
    });
    const res = await postTokenForm(t, { grant_type: 'client_credentials', ...credentialsOf(service) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({ access_token: expect.any(String), issued_at: expect.any(Number), token_type: 'bearer', expires_in: 3600 });

    const asService = requester(t, body.access_token, 'bearer');
    const created = await asService('POST', '/api/sites', { siteName: 'Machine made' });
    expect(created.statusCode).toBe(201);
    expect(created.json().organisationId).toBe(a.organisationId);
    expect((await requester(t, a.keys.viewer)('GET', '/api/sites')).json()).toEqual([created.json()]);
    const bSite = (await requester(t, b.keys.admin)('POST', '/api/sites', { siteName: 'B site' })).json();
    expect((await asService('PUT', `/api/sites/${bSite.id as string}`, { siteName: 'x' })).statusCode).toBe(404);

    const reader = await createTestClient(t.services, { grants: ['client_credentials'], organisationId: a.organisationId, role: 'viewer' });
    const readerToken = (await postTokenForm(t, { grant_type: 'client_credentials', ...credentialsOf(reader) })).json()
      .access_token as string;
    expect((await requester(t, readerToken, 'bearer')('POST', '/api/sites', { siteName: 'x' })).statusCode).toBe(403);
  });

  it('answers bad token requests with the RFC 6749 error codes', async () => {
    const service = await createTestClient(t.services, {
      grants: ['client_credentials'],
      organisationId: a.organisationId,
      role: 'viewer',
    });
    const user = { username: a.owner.email, password: a.owner.password };
    const issued = (await passwordGrant(a)).json();
    const cases: [string, Record<string, string>, number, string][] = [
      [
        'a wrong client secret',
        { grant_type: 'password', client_id: app.clientId, client_secret: 'wrong', ...user },
        401,
        'invalid_client',
      ],
      [
        'an unknown client',
        { grant_type: 'password', client_id: 'hc_nobody', client_secret: app.clientSecret, ...user },
        401,
        'invalid_client',
      ],
      ['no client credentials', { grant_type: 'password', ...user }, 401, 'invalid_client'],
      [
        'a wrong password',
        { grant_type: 'password', ...credentialsOf(app), username: a.owner.email, password: 'wrong password' },
        400,
        'invalid_grant',
      ],
      [
        'an unknown user',
        { grant_type: 'password', ...credentialsOf(app), username: 'nobody@example.com', password: a.owner.password },
        400,
        'invalid_grant',
      ],
      ['a missing password', { grant_type: 'password', ...credentialsOf(app), username: a.owner.email }, 400, 'invalid_request'],
      ['an unsupported grant', { grant_type: 'authorization_code', ...credentialsOf(app), code: 'x' }, 400, 'unsupported_grant_type'],
      ['no grant type', { ...credentialsOf(app), ...user }, 400, 'invalid_request'],
      ['a grant the client may not use', { grant_type: 'client_credentials', ...credentialsOf(app) }, 400, 'unauthorized_client'],
      [
        'password with a client_credentials client',
        { grant_type: 'password', ...credentialsOf(service), ...user },
        400,
        'unauthorized_client',
      ],
      ['an unknown refresh token', { grant_type: 'refresh_token', ...credentialsOf(app), refresh_token: 'nope' }, 400, 'invalid_grant'],
      [
        'an access token as refresh token',
        { grant_type: 'refresh_token', ...credentialsOf(app), refresh_token: issued.access_token },
        400,
        'invalid_grant',
      ],
    ];
    for (const [name, form, status, error] of cases) {
      const res = await postTokenForm(t, form);
      expect(res.statusCode, name).toBe(status);
      expect(res.json(), name).toMatchObject({ statusCode: status, error, error_description: expect.any(String) });
      expect(res.json().access_token, name).toBeUndefined();
      if (status === 401) expect(res.headers['www-authenticate'], name).toMatch(/^Basic/);
    }
    // A parameter sent twice is refused rather than guessed at (RFC 6749 §3.2).
    const repeated = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&grant_type=password&client_id=${service.clientId}&client_secret=${service.clientSecret}`,
    });
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json()).toMatchObject({ code: 'MALFORMED_REQUEST', message: 'form parameter grant_type was sent more than once' });
    // A refresh token only works for the client it was issued to.
    const otherApp = await createTestClient(t.services, { grants: ['password', 'refresh_token'] });
    expect((await refreshGrant(issued.refresh_token, otherApp)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refreshGrant(issued.refresh_token)).statusCode).toBe(200);
  });

  it('accepts client credentials as HTTP Basic, but not together with client credentials in the form', async () => {
    const basic = (id: string, secret: string) =>
      `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    const form = (fields: Record<string, string>, authorization: string) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        payload: new URLSearchParams(fields).toString(),
      });
    const user = { grant_type: 'password', username: a.owner.email, password: a.owner.password };
    const ok = await form(user, basic(app.clientId, app.clientSecret));
    expect(ok.statusCode).toBe(200);
    expect((await sitesWith(ok.json().access_token)).statusCode).toBe(200);

    const wrong = await form(user, basic(app.clientId, 'wrong'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    const both = await form({ ...user, ...credentialsOf(app) }, basic(app.clientId, app.clientSecret));
    expect(both.statusCode).toBe(400);
    expect(both.json()).toMatchObject({ error: 'invalid_request' });
    expect((await form(user, `Basic ${Buffer.from('no-colon').toString('base64')}`)).json()).toMatchObject({ error: 'invalid_client' });
  });

  it('expires an access token 3600 s after issue, while its refresh token still gets a new one', async () => {
    const issued = (await passwordGrant(a)).json();
    clock.advance(3599);
    expect((await sitesWith(issued.access_token)).statusCode).toBe(200);
    clock.advance(1);
    const expired = await sitesWith(issued.access_token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/expired/) });

    const renewed = await refreshGrant(issued.refresh_token);
    expect(renewed.json().issued_at).toBe(Math.floor(clock.now().getTime() / 1000));
    expect((await sitesWith(renewed.json().access_token)).statusCode).toBe(200);
    clock.advance(3600);
    expect((await sitesWith(renewed.json().access_token)).statusCode).toBe(401);
    clock.advance(30 * 24 * 3600);
    expect((await refreshGrant(renewed.json().refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('lets the desktop app, a public client, use the password and refresh grants with its client_id alone', async () => {
    const desktop = { client_id: DESKTOP_CLIENT_ID };
    const first = await postTokenForm(t, { grant_type: 'password', ...desktop, username: a.owner.email, password: a.owner.password });
    expect(first.statusCode).toBe(200);
    const tokens = first.json();
    expect((await sitesWith(tokens.access_token)).statusCode).toBe(200);
    const refreshed = await postTokenForm(t, { grant_type: 'refresh_token', ...desktop, refresh_token: tokens.refresh_token });
    expect(refreshed.statusCode).toBe(200);

    // It has no secret to send, cannot act as itself, and cannot take another client's refresh tokens.
    const withSecret = await postTokenForm(t, {
      grant_type: 'password',
      ...desktop,
      client_secret: 'guess',
      username: a.owner.email,
      password: a.owner.password,
    });
    expect(withSecret.json()).toMatchObject({ error: 'invalid_client', error_description: expect.stringMatching(/public/) });
    expect((await postTokenForm(t, { grant_type: 'client_credentials', ...desktop })).json()).toMatchObject({
      error: 'unauthorized_client',
    });
    const confidential = (await passwordGrant(a)).json();
    expect(
      (await postTokenForm(t, { grant_type: 'refresh_token', ...desktop, refresh_token: confidential.refresh_token })).json(),
    ).toMatchObject({
      error: 'invalid_grant',
    });
    expect((await postTokenForm(t, { grant_type: 'password', username: a.owner.email, password: a.owner.password })).json()).toMatchObject({
      error: 'invalid_client',
    });

    // An operator can switch desktop sign-in off.
    await t.services.db.query('UPDATE oauth_clients SET revoked_at = now() WHERE client_id = $1', [DESKTOP_CLIENT_ID]);
    const revoked = await postTokenForm(t, { grant_type: 'password', ...desktop, username: a.owner.email, password: a.owner.password });
    expect(revoked.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('stores tokens, keys, client secrets and passwords only as hashes', async () => {
    const service = await createTestClient(t.services, {
      grants: ['client_credentials'],
      organisationId: a.organisationId,
      role: 'viewer',
    });
    const password = (await passwordGrant(a)).json();
    const refreshed = (await refreshGrant(password.refresh_token)).json();
    const machine = (await postTokenForm(t, { grant_type: 'client_credentials', ...credentialsOf(service) })).json();
    const secrets = [
      password.access_token,
      password.refresh_token,
      refreshed.access_token,
      refreshed.refresh_token,
      machine.access_token,
      app.clientSecret,
      service.clientSecret,
      a.owner.password,
      ...Object.values(a.keys),
      ...Object.values(b.keys),
    ] as string[];
    const stored: string[] = [];
    for (const table of ['oauth_tokens', 'oauth_clients', 'api_keys', 'users']) {
      const { rows } = await t.db.query(`SELECT * FROM ${table}`);
      expect(rows.length, table).toBeGreaterThan(0);
      stored.push(JSON.stringify(rows));
    }
    const dump = stored.join('\n');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(20);
      expect(dump.includes(secret), 'a secret is stored in plain text').toBe(false);
      // Nor a long enough piece of it to matter (API keys keep their public prefix).
      expect(dump.includes(secret.slice(-20)), 'the tail of a secret is stored').toBe(false);
    }
    const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM oauth_tokens WHERE length(token_hash) = 64');
    expect(rows[0]!.n).toBe(5);
  });
});
