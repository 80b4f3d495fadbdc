// Who uses this desktop, and in which organisations. The desktop acts as a
// user with memberships, like every other client, never as the system
// principal: the same tenancy checks run on the laptop as on the server.
//
// Today the session comes from an offline bootstrap (a local organisation and
// user made on first start). Signing in to a server replaces it with the
// signed-in user and that user's memberships (`SessionStore.replace`).
import { organisations, roleSchema, systemPrincipal, users, type Principal, type Role, type ServiceContext } from '@helio/core';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from './files.js';

export interface LocalSession {
  userId: string;
  /** Each organisation this user may see, with the role held there. */
  organisations: ReadonlyMap<string, Role>;
  /** `local`: made by the offline bootstrap; `server`: the memberships of a user signed in to `serverUrl`. */
  source: 'local' | 'server';
  serverUrl: string | null;
  /** Who signed in, as the server named them at sign-in (absent for the local user, and in sessions saved before it was kept). */
  account?: SessionAccount | undefined;
}

export interface SessionAccount {
  /** Null when the server did not say (a server older than this app). */
  name: string | null;
  email: string;
}

const sessionFile = z.strictObject({
  version: z.literal(1),
  userId: z.uuid(),
  organisations: z.array(z.strictObject({ organisationId: z.uuid(), role: roleSchema })),
  source: z.enum(['local', 'server']),
  serverUrl: z.url().nullable(),
  account: z.strictObject({ name: z.string().nullable(), email: z.string() }).optional(),
});

export function sessionPrincipal(session: LocalSession): Principal {
  return { kind: 'user', userId: session.userId, memberships: session.organisations };
}

export interface SessionStore {
  current(): LocalSession | undefined;
  /** Replaces the session (sign-in, a membership change pulled by sync) and tells the listeners. */
  replace(session: LocalSession | undefined): void;
  /** Calls `listener` after each change; returns a function that stops it. */
  onChange(listener: (session: LocalSession | undefined) => void): () => void;
}

/** A session kept in a JSON file (mode 0600), written whole and renamed into place so a crash never leaves half of it. */
export function fileSessionStore(path: string): SessionStore {
  let session = readSessionFile(path);
  const listeners = new Set<(s: LocalSession | undefined) => void>();
  return {
    current: () => session,
    replace(next) {
      writeSessionFile(path, next);
      session = next;
      for (const listener of listeners) listener(session);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function readSessionFile(path: string): LocalSession | undefined {
  const raw = readFileIfExists(path);
  if (!raw) return undefined;
  const json: unknown = JSON.parse(raw.toString('utf8'));
  if (json === null) return undefined; // signed out
  const parsed = sessionFile.safeParse(json);
  if (!parsed.success) throw new Error(`the session file ${path} is not valid: ${parsed.error.message}`);
  const { userId, source, serverUrl, account } = parsed.data;
  return {
    userId,
    source,
    serverUrl,
    ...(account ? { account } : {}),
    organisations: new Map(parsed.data.organisations.map((m) => [m.organisationId, m.role])),
  };
}

function writeSessionFile(path: string, session: LocalSession | undefined): void {
  const body: z.input<typeof sessionFile> | null = session
    ? {
        version: 1,
        userId: session.userId,
        organisations: [...session.organisations].map(([organisationId, role]) => ({ organisationId, role })),
        source: session.source,
        serverUrl: session.serverUrl,
        ...(session.account ? { account: session.account } : {}),
      }
    : null;
  writeFileAtomically(path, `${JSON.stringify(body, null, 2)}\n`);
}

/** The local user's email: one per data directory, on a reserved domain so it never matches a real account. */
export const LOCAL_USER_EMAIL = 'local-user@desktop.helio.invalid';

/**
 * The dev/offline bootstrap: on a first start without a server, creates the
 * named organisations and a local owner of them, and makes that the session.
 * Does nothing when a session exists. If an earlier start crashed after
 * creating the user but before saving the session, the session is rebuilt
 * from that user's memberships instead of creating a second one.
 */
export async function bootstrapLocalSession(
  ctx: Omit<ServiceContext, 'principal'>,
  store: SessionStore,
  organisationNames: readonly string[],
): Promise<LocalSession> {
  const existing = store.current();
  if (existing) return existing;
  const system: ServiceContext = { ...ctx, principal: systemPrincipal };
  let user = await users.findUserByEmail(system, LOCAL_USER_EMAIL);
  if (!user) {
    const [first, ...rest] = organisationNames;
    if (!first) throw new Error('the offline bootstrap needs at least one organisation name');
    const firstOrg = await organisations.createOrganisation(system, { name: first });
    user = await users.createUser(system, { email: LOCAL_USER_EMAIL, name: 'Local user', organisationId: firstOrg.id, role: 'owner' });
    for (const name of rest) {
      const org = await organisations.createOrganisation(system, { name });
      await users.addMember(system, { organisationId: org.id, userId: user.id, role: 'owner' });
    }
  }
  const session: LocalSession = {
    userId: user.id,
    organisations: await users.membershipsOf(system, user.id),
    source: 'local',
    serverUrl: null,
  };
  store.replace(session);
  return session;
}
