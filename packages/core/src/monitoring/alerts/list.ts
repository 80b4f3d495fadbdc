// The Locus v3 alert calls (GET /v3/{partners,sites,components}/{id}/alerts):
// the filters, checked with a clear message each, and alerts in Locus shape
// with times written in the requested zone.
import { authorize } from '../../auth/principal.js';
import type { ServiceContext } from '../../context.js';
import { notFound, validationError } from '../../errors.js';
import { parseInput } from '../../validation.js';
import { alertTypes, listAlertsInput, priorities, type AlertType, type LocusAlert, type Priority } from './schema.js';
import { parseWallClock, parseZone, wallToInstant } from '../data/zones.js';
import { formatInZone } from './zoned-time.js';

const DAY_MS = 86_400_000;
/** How far back `updatedSince` may reach, and how long an openDuring period may be, where the spec limits them. */
export const UPDATED_SINCE_MAX_DAYS = 7;
export const OPEN_DURING_MAX_DAYS = 31;

/**
 * The spec states these limits for the partner call only: its site and
 * component calls document none, and their own examples ask for a year and
 * more. So a site's or a component's history is open to any span.
 */
const LIMITED_SCOPES: readonly Scope[] = ['organisation'];

type Scope = 'organisation' | 'site' | 'component';

function bad(path: string, message: string) {
  return validationError(`${path}: ${message}`, [{ path, message }]);
}

/** A filter's wall-clock time in the zone, as the instant it names (the data calls read theirs the same way). */
function wallClock(path: string, text: string | undefined, tz: string): Date | undefined {
  if (text === undefined) return undefined;
  return new Date(wallToInstant(tz, parseWallClock(text.trim(), path)));
}

/** A comma list of names, each matched without regard to case; an unknown one is an error naming the valid ones. */
function commaList<T extends string>(path: string, text: string | undefined, valid: readonly T[]): T[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw bad(path, `is empty: give one or more of ${valid.join(', ')}, separated by commas`);
  return items.map((item) => {
    const match = valid.find((v) => v.toLowerCase() === item.toLowerCase());
    if (!match) throw bad(path, `unknown value "${item}": valid values are ${valid.join(', ')}`);
    return match;
  });
}

interface Row {
  locus_id: number;
  component_locus_id: number;
  component_name: string | null;
  site_locus_id: number;
  site_name: string | null;
  alert_type: AlertType;
  priority: Priority;
  started_at: Date;
  ended_at: Date | null;
  updated_at: Date;
  description_short: string | null;
  description_long: string | null;
}

/**
 * The alerts of an organisation (Locus partner), a site or a component, by
 * UUID, filtered as the Locus alert calls filter: `updatedSince`,
 * `openDuringMin`/`openDuringMax` (open at any moment of the period; either
 * bound alone at site and component level), `alertType` and `priority`
 * (comma lists, any case), `status` (open or closed). Times are wall-clock
 * in `tz`, and so are the answer's. The partner call needs `updatedSince` or
 * both openDuring bounds; there `updatedSince` reaches at most 7 days back and
 * the openDuring period spans at most 31 days. Ordered by start.
 */
export async function listAlerts(ctx: ServiceContext, input: unknown): Promise<LocusAlert[]> {
  const f = parseInput(listAlertsInput, input);
  const scopes = (
    [
      ['organisation', f.organisationId],
      ['site', f.siteId],
      ['component', f.componentId],
    ] as const
  ).filter(([, id]) => id !== undefined);
  if (scopes.length !== 1) throw validationError('give exactly one of organisationId, siteId and componentId');
  const [scope, id] = scopes[0]! as [Scope, string];
  const tz = parseZone(f.tz);

  const updatedSince = wallClock('updatedSince', f.updatedSince, tz);
  const openMin = wallClock('openDuringMin', f.openDuringMin, tz);
  const openMax = wallClock('openDuringMax', f.openDuringMax, tz);
  const types = commaList('alertType', f.alertType, alertTypes);
  const wantedPriorities = commaList('priority', f.priority, priorities);
  const status = commaList('status', f.status, ['open', 'closed'] as const);

  if (scope === 'organisation' && !updatedSince && !(openMin && openMax)) {
    throw validationError('the partner alerts call needs updatedSince, or both openDuringMin and openDuringMax', [
      { path: 'updatedSince', message: 'required unless openDuringMin and openDuringMax are both given' },
    ]);
  }
  if (openMin && openMax && openMax < openMin) throw bad('openDuringMax', 'is before openDuringMin');
  if (LIMITED_SCOPES.includes(scope)) {
    const now = ctx.clock.now();
    if (updatedSince && updatedSince.getTime() < now.getTime() - UPDATED_SINCE_MAX_DAYS * DAY_MS) {
      throw bad('updatedSince', `may be at most ${UPDATED_SINCE_MAX_DAYS} days ago`);
    }
    if (openMin && openMax && openMax.getTime() - openMin.getTime() > OPEN_DURING_MAX_DAYS * DAY_MS) {
      throw bad('openDuringMax', `the openDuring period may span at most ${OPEN_DURING_MAX_DAYS} days`);
    }
  }

  const organisationId = await scopeOrganisation(ctx, scope, id);
  authorize(ctx.principal, organisationId, 'read', scope === 'organisation' ? 'partner' : scope, id);

  const { rows } = await ctx.db.query<Row>(
    `SELECT a.locus_id, c.locus_id AS component_locus_id, c.name AS component_name, s.locus_id AS site_locus_id, s.site_name,
       a.alert_type, a.priority, a.started_at, a.ended_at, a.updated_at, a.description_short, a.description_long
     FROM alerts a JOIN components c ON c.id = a.component_id JOIN sites s ON s.id = a.site_id
     WHERE a.deleted_at IS NULL AND a.organisation_id = $1
       AND ($2::uuid IS NULL OR a.site_id = $2) AND ($3::uuid IS NULL OR a.component_id = $3)
       AND ($4::timestamptz IS NULL OR a.updated_at >= $4)
       AND ($5::timestamptz IS NULL OR a.ended_at IS NULL OR a.ended_at >= $5)
       AND ($6::timestamptz IS NULL OR a.started_at <= $6)
       AND ($7::text[] IS NULL OR a.alert_type = ANY($7::text[]))
       AND ($8::text[] IS NULL OR a.priority = ANY($8::text[]))
       AND ($9::boolean IS NULL OR (a.ended_at IS NULL) = $9)
     ORDER BY a.started_at, a.locus_id`,
    [
      organisationId,
      scope === 'site' ? id : null,
      scope === 'component' ? id : null,
      updatedSince ?? null,
      openMin ?? null,
      openMax ?? null,
      types ?? null,
      wantedPriorities ?? null,
      status && status.length === 1 ? status[0] === 'open' : null,
    ],
  );
  return rows.map((r) => toLocusAlert(r, tz));
}

async function scopeOrganisation(ctx: ServiceContext, scope: Scope, id: string): Promise<string> {
  if (scope === 'organisation') return id;
  const table = scope === 'site' ? 'sites' : 'components';
  const { rows } = await ctx.db.query<{ organisation_id: string }>(
    `SELECT organisation_id FROM ${table} WHERE id = $1 AND deleted_at IS NULL`,
    [id],
  );
  if (!rows[0]) throw notFound(scope, id);
  return rows[0].organisation_id;
}

function toLocusAlert(r: Row, tz: string): LocusAlert {
  return {
    id: Number(r.locus_id),
    componentId: Number(r.component_locus_id),
    componentName: r.component_name ?? '',
    siteId: Number(r.site_locus_id),
    siteName: r.site_name ?? '',
    alertType: r.alert_type,
    priority: r.priority,
    start: formatInZone(r.started_at, tz),
    ...(r.ended_at ? { end: formatInZone(r.ended_at, tz) } : {}),
    updated: formatInZone(r.updated_at, tz),
    ...(r.description_short !== null ? { descriptionShort: r.description_short } : {}),
    ...(r.description_long !== null ? { descriptionLong: r.description_long } : {}),
  };
}
