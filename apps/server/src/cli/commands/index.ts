import type { Command } from '../command.js';
import { apikeyCreate, apikeyList, apikeyRevoke } from './apikey.js';
import { communityExport, communityImport } from './community.js';
import { deviceSimulate } from './device.js';
import { memberAdd, memberRemove } from './member.js';
import { migrate } from './migrate.js';
import { oauthClientCreate } from './oauth-client.js';
import { orgCreate, orgList } from './org.js';
import { plantMove } from './plant.js';
import { readingsImport } from './readings.js';
import { serve } from './serve.js';
import { simulateCommand } from './simulate.js';
import { userCreate } from './user.js';

/** Every command, in the order `helio --help` lists them. */
export const commands: readonly Command[] = [
  serve,
  migrate,
  orgCreate,
  orgList,
  userCreate,
  memberAdd,
  memberRemove,
  apikeyCreate,
  apikeyList,
  apikeyRevoke,
  oauthClientCreate,
  readingsImport,
  communityImport,
  communityExport,
  simulateCommand,
  plantMove,
  deviceSimulate,
];
