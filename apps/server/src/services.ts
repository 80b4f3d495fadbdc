import type { Clock, IdGenerator, Principal, ServiceContext } from '@helio/core';
import type { Db } from '@helio/db';
import type { Config } from './config.js';

/** What the transports share: the database, time, ids and configuration. */
export interface AppServices {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  config: Config;
}

export function serviceContext(services: AppServices, principal: Principal): ServiceContext {
  return { db: services.db, clock: services.clock, ids: services.ids, principal };
}
