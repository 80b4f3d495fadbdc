import { procedure } from '../trpc/init.js';
import { directoryEntries } from './directory.js';

/** The caller: who they are (name and email, so a device can say who is signed in) and their memberships. */
export const me = procedure.query(async ({ ctx }) => {
  const p = ctx.service.principal;
  if (p.kind === 'system') return { kind: p.kind, userId: null, name: null, email: null, memberships: [] };
  // A device knows its own user once the first pull brought the directory; until then, null.
  const [self] = p.userId ? await directoryEntries(ctx.service.db, [p.userId]) : [];
  return {
    kind: p.kind,
    userId: p.userId,
    name: self?.name ?? null,
    email: self?.email ?? null,
    memberships: [...p.memberships].map(([organisationId, role]) => ({ organisationId, role })),
  };
});
