// The peers of bench/mqtt.ts, measured in the same run as Helio: the
// machine's Mosquitto (a broker doing no processing: no subscriber, anonymous
// access, nothing stored), and a bare batched INSERT of the very readings the
// plants sent into a plain table with the readings' primary key.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import pg from 'pg';
import { TELEMETRY_FIELDS, telemetryValues } from './mqtt-messages.js';

export const MOSQUITTO_URL = 'mqtt://127.0.0.1:1883';

/** Null when Mosquitto answers at MOSQUITTO_URL, else why not. */
export async function probeMosquitto(): Promise<string | null> {
  try {
    const client = await mqtt.connectAsync(MOSQUITTO_URL, {
      clientId: `helio-bench-probe-${process.pid}`,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    await client.endAsync();
    return null;
  } catch (err) {
    return `Mosquitto unreachable at ${MOSQUITTO_URL} (${err instanceof Error ? err.message : String(err)}); start it: mosquitto -d -c /etc/mosquitto/mosquitto.conf`;
  }
}

/** Mosquitto's process id: from its pid file, else the process named mosquitto. */
export function mosquittoPid(): number | undefined {
  try {
    const pid = Number(readFileSync('/run/mosquitto/mosquitto.pid', 'utf8').trim());
    if (pid > 0 && processName(pid) === 'mosquitto') return pid;
  } catch {
    // No pid file (started by hand): look for it by name.
  }
  try {
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (pid > 0 && processName(pid) === 'mosquitto') return pid;
    }
  } catch {
    // Not Linux.
  }
  return undefined;
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in bytes, from /proc; undefined where it cannot be read. */
export function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface PeerDb {
  db: pg.Client;
  drop(): Promise<void>;
}

/**
 * A temporary database of the INSERT peer's own, on the PostgreSQL Helio runs
 * on (the same server, disks and settings), or why there is none.
 */
export async function openPeerDb(adminUrl: string): Promise<PeerDb | string> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    return `PostgreSQL unreachable (${err instanceof Error ? err.message : String(err)}); set BENCH_DATABASE_URL`;
  }
  const name = `helio_bench_peer_${randomBytes(4).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    return `cannot create a database: ${err instanceof Error ? err.message : String(err)}`;
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: u.toString() });
  await db.connect();
  return {
    db,
    drop: async () => {
      await db.end().catch(() => undefined);
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

export interface PeerPlant {
  /** The component the plant's readings are stored under. */
  componentId: string;
  /** Its position among the publishing plants (the readings are a function of it). */
  index: number;
}

export interface InsertPeer {
  /** Inserts what the plants sent in one round, in batches of `batchMessages` messages; resolves to the seconds it took. */
  insertRound(plants: readonly PeerPlant[], messagesPerPlant: number, firstTs: number, stepMs: number): Promise<number>;
  /** Rows in the peer's table (to check it stored them all). */
  rows(): Promise<number>;
  drop(): Promise<void>;
}

/**
 * The bare INSERT: the readings of `batchMessages` messages per statement (the
 * messages in the order the plants sent them, interleaved), each statement
 * committed on its own, one after the other on one connection. The
 * statements are built before the clock starts: only the database's work is
 * timed.
 */
export async function createInsertPeer(db: pg.Client, batchMessages: number): Promise<InsertPeer> {
  await db.query(`CREATE TABLE bench_mqtt_peer (component_id uuid NOT NULL, field smallint NOT NULL, ts timestamptz NOT NULL,
    value double precision NOT NULL, PRIMARY KEY (component_id, field, ts))`);
  return {
    async insertRound(plants, messagesPerPlant, firstTs, stepMs) {
      const batches: string[][] = [];
      let c: string[] = [];
      let f: number[] = [];
      let t: number[] = [];
      let v: number[] = [];
      let inBatch = 0;
      const flush = () => {
        if (inBatch === 0) return;
        batches.push([`{${c.join(',')}}`, `{${f.join(',')}}`, `{${t.join(',')}}`, `{${v.join(',')}}`]);
        [c, f, t, v, inBatch] = [[], [], [], [], 0];
      };
      for (let seq = 0; seq < messagesPerPlant; seq++) {
        for (const p of plants) {
          const values = telemetryValues(p.index, seq);
          const ts = firstTs + seq * stepMs;
          for (let k = 0; k < TELEMETRY_FIELDS.length; k++) {
            c.push(p.componentId);
            f.push(TELEMETRY_FIELDS[k]!.code);
            t.push(ts);
            v.push(values[k]!);
          }
          if (++inBatch === batchMessages) flush();
        }
      }
      flush();
      const started = performance.now();
      for (const params of batches) {
        await db.query(
          `INSERT INTO bench_mqtt_peer (component_id, field, ts, value)
           SELECT c, f, to_timestamp(t / 1000), v FROM unnest($1::text::uuid[], $2::text::int2[], $3::text::float8[], $4::text::float8[]) AS k(c, f, t, v)`,
          params,
        );
      }
      return (performance.now() - started) / 1000;
    },
    async rows() {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bench_mqtt_peer');
      return rows[0]!.n;
    },
    async drop() {
      await db.query('DROP TABLE IF EXISTS bench_mqtt_peer');
    },
  };
}
