import { procedure } from '../trpc/init.js';

/** The caller: who they are and their memberships. */
export const me = procedure.query(({ ctx }) => {
  const p = ctx.service.principal;
  if (p.kind === 'system') return { kind: p.kind, userId: null, memberships: [] };
  return {
    kind: p.kind,
    userId: p.userId,
    memberships: [...p.memberships].map(([organisationId, role]) => ({ organisationId, role })),
  };
});
