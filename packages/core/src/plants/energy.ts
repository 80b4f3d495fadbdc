// A plant's energy for the current UTC day, from the readings of its
// component and the components under it (its sub-devices): produced (Wh),
// imported from and exported to the grid (WhImp, WhExp), in kWh, and the
// share of the production used on site.
import type { ServiceContext } from '../context.js';
import { storedField } from '../monitoring/fields.js';
import type { EnergyToday } from './schema.js';
import { loadPlantForAction } from './service.js';

const PRODUCED = storedField('Wh')!.code!;
const IMPORTED = storedField('WhImp')!.code!;
const EXPORTED = storedField('WhExp')!.code!;

/** kWh to the watt-hour. */
const kwh = (wh: number) => Math.round(wh) / 1000;

/**
 * selfConsumptionPct = (produced − exported) / produced × 100, rounded to
 * 0.1; 0 when nothing was produced. Kept within 0–100: a meter that exports
 * more than the plant produced (another generator behind it) means none of
 * this plant's production was consumed on site as far as Helio can tell.
 */
export function selfConsumption(produced: number, exported: number): number {
  if (produced <= 0) return 0;
  const pct = ((produced - exported) / produced) * 100;
  return Math.round(Math.min(100, Math.max(0, pct)) * 10) / 10;
}

export async function energyToday(ctx: ServiceContext, id: string): Promise<EnergyToday> {
  const plant = await loadPlantForAction(ctx.db, ctx, id, 'read');
  const now = ctx.clock.now();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const to = new Date(from.getTime() + 86_400_000);
  const date = from.toISOString().slice(0, 10);
  const sums = new Map<number, number>();
  if (plant.component_id) {
    const { rows } = await ctx.db.query<{ field: number; total: number | string }>(
      `WITH RECURSIVE tree (id) AS (
         SELECT $1::uuid
         UNION
         SELECT c.id FROM components c JOIN tree ON c.parent_id = tree.id WHERE c.deleted_at IS NULL AND c.organisation_id = $2
       )
       SELECT r.field, sum(r.value) AS total FROM readings r
       WHERE r.component_id IN (SELECT id FROM tree) AND r.field = ANY($3::int2[]) AND r.ts >= $4 AND r.ts < $5
       GROUP BY r.field`,
      [plant.component_id, plant.organisation_id, [PRODUCED, IMPORTED, EXPORTED], from, to],
    );
    for (const r of rows) sums.set(Number(r.field), Number(r.total));
  }
  const produced = sums.get(PRODUCED) ?? 0;
  const exported = sums.get(EXPORTED) ?? 0;
  return {
    date,
    exported: kwh(exported),
    imported: kwh(sums.get(IMPORTED) ?? 0),
    produced: kwh(produced),
    selfConsumptionPct: selfConsumption(produced, exported),
  };
}
