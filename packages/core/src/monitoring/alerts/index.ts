// What apps use of alerts: the services, the scheduled and after-ingest
// evaluation, the Locus list, device events, and the sun (for the simulator).
export { acknowledgeAlert, getAlert, listSiteAlerts } from './service.js';
export { recordEvents, MAX_EVENT_CLOCK_AHEAD_MS } from './events.js';
export { listAlerts, OPEN_DURING_MAX_DAYS, UPDATED_SINCE_MAX_DAYS } from './list.js';
export {
  evaluateAfterIngest,
  evaluateScheduled,
  evaluateSite,
  type IngestSummary,
  type ScheduledEvaluation,
  type SiteEvaluation,
} from './evaluate.js';
export { alertSettingDefaults, resolveAlertSettings, type AlertSettings } from './settings.js';
export { clearSkyGhi, haurwitzGhi, sunPosition, type SunPosition } from './solar.js';
export type { Alert, AlertType, DeviceEvent, LocusAlert, Priority, RecordEventsResult } from './schema.js';
