// From what the rules found to the alert writes: open an alert for a new
// condition, change it when what it says changes, close it when the condition
// clears. Pure, so that "opens once, never twice, closes once" is decided in
// one place.
import type { AlertType, Priority } from './schema.js';
import type { AlertRow, AlertWrite } from './writer.js';

/** What a rule found about one condition of one component. */
export interface Finding {
  componentId: string;
  /** "" unless one component may have several open alerts of the type. */
  conditionKey?: string;
  /**
   * `active`: the condition holds (open an alert, or keep it open);
   * `clear`: it was checked and does not hold (close an open alert).
   * A condition the rule could not check (no data, the sun down) gets no
   * finding at all, and its alert stays as it is.
   */
  state: 'active' | 'clear';
  priority: Priority;
  /** When the condition began (active) or ended (clear); the evaluation time when absent. */
  at?: Date;
  descriptionShort?: string | null;
  descriptionLong?: string | null;
  /** The thresholds the rule applied; a change of these is a change of the alert. */
  settings: Record<string, unknown>;
  /** What the rule measured, stored with the alert when it opens or changes (not a change by itself). */
  observed?: Record<string, unknown>;
}

export interface RuleResult {
  alertType: AlertType;
  findings: Finding[];
  /**
   * Close the site's open alerts of this type that no finding names: the
   * rule is switched off, or nothing it watched is left (a site-level rule
   * whose alert moved to another component).
   */
  closeUnnamed?: boolean;
}

const stable = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

const keyOf = (alertType: string, componentId: string, conditionKey: string) => `${alertType}\u0000${componentId}\u0000${conditionKey}`;

export interface PlanOptions {
  siteId: string;
  now: Date;
  /**
   * The site's monitored components, when the whole site was evaluated:
   * open alerts of any other component (deleted, or now conceptual) close.
   */
  monitoredComponents?: ReadonlySet<string>;
}

/** The writes that bring the site's open alerts in line with the rules' results. */
export function planAlertWrites(open: readonly AlertRow[], results: readonly RuleResult[], options: PlanOptions): AlertWrite[] {
  const { now } = options;
  const openByKey = new Map(open.map((a) => [keyOf(a.alert_type, a.component_id, a.condition_key), a]));
  const writes: AlertWrite[] = [];
  const closed = new Set<string>();
  const close = (a: AlertRow, at: Date = now) => {
    if (closed.has(a.id)) return;
    closed.add(a.id);
    writes.push({ kind: 'change', id: a.id, set: { endedAt: new Date(Math.max(at.getTime(), a.started_at.getTime())) } });
  };

  if (options.monitoredComponents) {
    for (const a of open) if (!options.monitoredComponents.has(a.component_id)) close(a);
  }

  for (const result of results) {
    const named = new Set<string>();
    for (const f of result.findings) {
      const conditionKey = f.conditionKey ?? '';
      const key = keyOf(result.alertType, f.componentId, conditionKey);
      if (named.has(key)) continue;
      named.add(key);
      const existing = openByKey.get(key);
      const details = { settings: f.settings, ...(f.observed ? { observed: f.observed } : {}) };
      if (f.state === 'clear') {
        if (existing) close(existing, f.at);
        continue;
      }
      if (options.monitoredComponents && !options.monitoredComponents.has(f.componentId)) continue;
      if (!existing) {
        writes.push({
          kind: 'open',
          siteId: options.siteId,
          componentId: f.componentId,
          alertType: result.alertType,
          conditionKey,
          priority: f.priority,
          startedAt: f.at ?? now,
          descriptionShort: f.descriptionShort ?? null,
          descriptionLong: f.descriptionLong ?? null,
          details,
        });
        continue;
      }
      if (closed.has(existing.id)) continue;
      const descriptionShort = f.descriptionShort ?? null;
      const descriptionLong = f.descriptionLong ?? null;
      const changed =
        existing.priority !== f.priority ||
        existing.description_short !== descriptionShort ||
        existing.description_long !== descriptionLong ||
        stable((existing.details as { settings?: unknown } | null)?.settings ?? null) !== stable(f.settings);
      if (changed)
        writes.push({ kind: 'change', id: existing.id, set: { priority: f.priority, descriptionShort, descriptionLong, details } });
    }
    if (result.closeUnnamed) {
      for (const a of open) {
        if (a.alert_type === result.alertType && !named.has(keyOf(a.alert_type, a.component_id, a.condition_key))) close(a);
      }
    }
  }
  return writes;
}
