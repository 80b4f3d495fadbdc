import foundation from './0001-foundation.js';
import sync from './0002-sync.js';
import syncClient from './0003-sync-client.js';
import changeNotifications from './0004-change-notifications.js';
import publicClients from './0005-public-clients.js';
import uniqueServerClocks from './0006-unique-server-clocks.js';
import rejectedByUser from './0007-rejected-by-user.js';
import monitoring from './0008-monitoring.js';
import plants from './0009-plants.js';
import communities from './0010-communities.js';
import rollupMarks from './0011-rollup-marks.js';
import plantConnections from './0012-plant-connections.js';

export interface Migration {
  /** Stable, ordered name; never renamed once released. */
  id: string;
  sql: string;
}

/** The one ordered list, run unchanged on PGlite and PostgreSQL. Append only. */
export const migrations: readonly Migration[] = [
  { id: '0001-foundation', sql: foundation },
  { id: '0002-sync', sql: sync },
  { id: '0003-sync-client', sql: syncClient },
  { id: '0004-change-notifications', sql: changeNotifications },
  { id: '0005-public-clients', sql: publicClients },
  { id: '0006-unique-server-clocks', sql: uniqueServerClocks },
  { id: '0007-rejected-by-user', sql: rejectedByUser },
  { id: '0008-monitoring', sql: monitoring },
  { id: '0009-plants', sql: plants },
  { id: '0010-communities', sql: communities },
  { id: '0011-rollup-marks', sql: rollupMarks },
  { id: '0012-plant-connections', sql: plantConnections },
];
