import type { Db } from '@helio/db';
import type { Principal } from './auth/principal.js';
import type { Clock, IdGenerator } from './ids.js';

/** Everything a service needs, passed in: core never reaches for globals. */
export interface ServiceContext {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  principal: Principal;
}

export function withPrincipal(ctx: ServiceContext, principal: Principal): ServiceContext {
  return { ...ctx, principal };
}
