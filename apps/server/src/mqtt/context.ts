// What the gateway's hooks, handlers and jobs share.
import type { Clock, IdGenerator, plants } from '@helio/core';
import type { Db } from '@helio/db';
import type { Sessions } from './sessions.js';

export interface GatewayLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GatewayContext {
  /** This gateway's MQTT broker id: what the plants it holds are recorded as connected through. */
  brokerId: string;
  /** A will of broker `brokerId` (a server gone) for `clientId` that could not be handled now: kept for aedes' next round. */
  keepWill(brokerId: string, clientId: string): void;
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  env: plants.PlantEnvironment;
  log: GatewayLog;
  sessions: Sessions;
  writer: plants.TelemetryWriter;
  /** Largest MQTT payload a plant may publish. */
  maxPayloadBytes: number;
  /** Work that must finish before the database closes (status and drop writes after a client left). */
  track<T>(work: Promise<T>): Promise<T>;
}

/** A set of promises the gateway waits for when it closes. */
export function workTracker(): { track<T>(work: Promise<T>): Promise<T>; settled(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      pending.add(work);
      void work.then(
        () => pending.delete(work),
        () => pending.delete(work),
      );
      return work;
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
