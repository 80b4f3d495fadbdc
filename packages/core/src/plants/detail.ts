// A plant as `GET /plants/{id}` answers it: the registry fields, its
// template, its groups, and the monitoring alerts of its component and the
// components under it.
import { type Queryable } from '@helio/db';
import { iso, toGroup, toPlant, type GroupRow, type PlantRow } from './rows.js';
import { type PlantAlert, type PlantDetail, type Template } from './schema.js';

const severity = { High: 'CRITICAL', Medium: 'WARNING', Low: 'INFO' } as const;

interface AlertRow {
  id: string;
  alert_type: string;
  priority: keyof typeof severity;
  description_short: string | null;
  ended_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** How many days a closed alert still shows on its plant. */
export const CLOSED_ALERT_DAYS = 30;

/**
 * The monitoring alerts of the plant's component and the components under it
 * (its sub-devices): the open ones and those closed within the last
 * CLOSED_ALERT_DAYS days, newest first (at most 100).
 */
export async function plantAlerts(q: Queryable, row: PlantRow, now: Date): Promise<PlantAlert[]> {
  if (!row.component_id) return [];
  const { rows } = await q.query<AlertRow>(
    `WITH RECURSIVE tree (id) AS (
       SELECT $1::uuid
       UNION
       SELECT c.id FROM components c JOIN tree ON c.parent_id = tree.id WHERE c.deleted_at IS NULL AND c.organisation_id = $2
     )
     SELECT a.id, a.alert_type, a.priority, a.description_short, a.ended_at, a.acknowledged_at, a.acknowledged_by, a.created_at, a.updated_at
     FROM alerts a JOIN tree ON a.component_id = tree.id
     WHERE a.deleted_at IS NULL AND a.organisation_id = $2 AND (a.ended_at IS NULL OR a.ended_at > $3)
     ORDER BY a.started_at DESC, a.id DESC
     LIMIT 100`,
    [row.component_id, row.organisation_id, new Date(now.getTime() - CLOSED_ALERT_DAYS * 86_400_000)],
  );
  return rows.map((a) => ({
    acknowledgedAt: iso(a.acknowledged_at),
    acknowledgedBy: a.acknowledged_by,
    createdAt: iso(a.created_at)!,
    id: a.id,
    message: a.description_short ?? a.alert_type,
    plantId: row.id,
    resolvedAt: iso(a.ended_at),
    severity: severity[a.priority] ?? 'WARNING',
    status: a.ended_at ? 'RESOLVED' : a.acknowledged_at ? 'ACKNOWLEDGED' : 'ACTIVE',
    type: a.alert_type.toUpperCase().replace(/\s+/g, '_'),
    updatedAt: iso(a.updated_at)!,
  }));
}

export function toPlantDetail(row: PlantRow, template: Template | null, alerts: PlantAlert[], groups: GroupRow[]): PlantDetail {
  return {
    ...toPlant(row, template),
    alerts,
    plantGroups: groups.map(toGroup),
    capacityKwh: row.capacity_kwh,
    configEnabled: row.config_enabled,
    description: row.description,
    esiState: row.esi_state,
    externalPlantId: row.external_plant_id,
    fvePeakPowerKwp: row.fve_peak_power_kwp,
    latitude: row.latitude,
    longitude: row.longitude,
    plantWithLoad: row.plant_with_load,
    tag: row.tag,
  };
}
