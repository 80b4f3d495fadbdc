// What the gateway of this process must hear at once: a plant whose right to
// connect changed (suspended, revoked, decommissioned, new credentials) and a
// command to deliver. Emitted after the change committed. Other server
// instances learn the same from the database (the gateway re-checks its
// connected plants every second) and through the shared broker.
import { EventEmitter } from 'node:events';

export interface PlantEvents {
  changed: [plantId: string];
  command: [plantId: string, cmdId: string];
}

export const plantEvents = new EventEmitter<PlantEvents>();
// One listener per gateway; tests start several servers in one process.
plantEvents.setMaxListeners(100);

export function notifyPlantChanged(plantId: string): void {
  plantEvents.emit('changed', plantId);
}

export function notifyCommand(plantId: string, cmdId: string): void {
  plantEvents.emit('command', plantId, cmdId);
}
