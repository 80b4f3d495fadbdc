// Which components the simulator writes for, and the tree it creates for a
// site that has none: a generation meter directly under the site, two
// inverters (up to 30 kW DC) or three beneath it, two strings beneath each
// inverter, and a weather station directly under the site. Node ids start
// with `sim-<site's Locus id>-`, unique in the organisation as site ids are.
import type { ModelSettings } from '../data/model.js';
import type { Component, NodeType } from '../components/schema.js';
import { inverterHealth, stringShares, stringVmp, type PlantInverter, type PlantMeter, type PlantPlan, type PlantString } from './plant.js';
import type { Place } from './weather.js';

/** The components the simulator creates, in creation order (parents first); `parent` indexes into this list. */
export interface PlannedComponent {
  key: string;
  parent: number | null;
  nodeId: string;
  name: string;
  nodeType: NodeType;
  model: string;
}

export function inverterCount(sizeKw: number): number {
  return sizeKw <= 30 ? 2 : 3;
}

/** The tree for a site of `sizeKw`; `siteKey` makes the node ids unique (the site's Locus id, or its UUID). */
export function defaultTree(siteKey: string, sizeKw: number): PlannedComponent[] {
  const prefix = `sim-${siteKey}`;
  const out: PlannedComponent[] = [
    {
      key: 'meter',
      parent: null,
      nodeId: `${prefix}-meter`,
      name: 'Generation meter',
      nodeType: 'METER',
      model: 'Simulated revenue meter',
    },
  ];
  for (let i = 1; i <= inverterCount(sizeKw); i++) {
    const inverter = out.length;
    out.push({
      key: `inv${i}`,
      parent: 0,
      nodeId: `${prefix}-inv${i}`,
      name: `Inverter ${i}`,
      nodeType: 'INVERTER',
      model: 'Simulated string inverter',
    });
    for (const s of [1, 2]) {
      out.push({
        key: `inv${i}-s${s}`,
        parent: inverter,
        nodeId: `${prefix}-inv${i}-s${s}`,
        name: `Inverter ${i} string ${s}`,
        nodeType: 'STRING',
        model: 'Simulated PV string',
      });
    }
  }
  out.push({
    key: 'ws',
    parent: null,
    nodeId: `${prefix}-ws`,
    name: 'Weather station',
    nodeType: 'WEATHERSTATION',
    model: 'Simulated weather station',
  });
  return out;
}

export interface PlanResult {
  plan: PlantPlan;
  /** Components the simulator writes nothing for, and why. */
  skipped: { id: string; name: string; reason: string }[];
}

/**
 * The plan for a site's existing components: inverters share the site's DC
 * size; a generation meter measures the inverters beneath it (all of them
 * when none is beneath any meter, split between the meters); strings take
 * their share of the nearest inverter above them; weather stations report
 * the weather. A site with meters and no inverter gets one virtual inverter
 * of the site's size for its meters to measure.
 */
export function planFor(
  components: readonly Component[],
  options: { seed: number; place: Place; settings: ModelSettings; intervalMinutes: number },
): PlanResult {
  const byId = new Map(components.map((c) => [c.id, c]));
  const skipped: PlanResult['skipped'] = [];
  const live = components
    .filter((c) => {
      if (!c.isConceptualNode) return true;
      skipped.push({ id: c.id, name: c.name, reason: 'conceptual node (no readings of its own)' });
      return false;
    })
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  const ofType = (t: NodeType) => live.filter((c) => c.nodeType === t);

  const realInverters = ofType('INVERTER');
  const generationMeters = ofType('METER').filter((m) => {
    if (m.application === 'GENERATION') return true;
    skipped.push({ id: m.id, name: m.name, reason: 'net-grid meter (the simulator models generation only)' });
    return false;
  });
  const inverterComponents = realInverters.length > 0 ? realInverters : generationMeters.length > 0 ? [undefined] : [];
  const sizeKw = options.settings.sizeKw;
  const inverters: PlantInverter[] = inverterComponents.map((c, i) => ({
    componentId: c?.id ?? '',
    sizeKw: sizeKw / inverterComponents.length,
    health: inverterHealth(options.seed, i),
  }));

  const ancestors = (c: Component): Component[] => {
    const out: Component[] = [];
    const seen = new Set<string>();
    for (let p = c.parentId ? byId.get(c.parentId) : undefined; p && !seen.has(p.id); p = p.parentId ? byId.get(p.parentId) : undefined) {
      seen.add(p.id);
      out.push(p);
    }
    return out;
  };

  const meterOf = new Map<string, number[]>();
  realInverters.forEach((inv, i) => {
    const meter = ancestors(inv).find((a) => generationMeters.includes(a));
    if (meter) meterOf.set(meter.id, [...(meterOf.get(meter.id) ?? []), i]);
  });
  const meters: PlantMeter[] = generationMeters.map((m) =>
    meterOf.size > 0
      ? { componentId: m.id, inverters: meterOf.get(m.id) ?? [], split: 1 }
      : { componentId: m.id, inverters: inverters.map((_, i) => i), split: generationMeters.length },
  );

  const stringsOf = new Map<number, Component[]>();
  for (const s of ofType('STRING')) {
    const inv = ancestors(s).find((a) => a.nodeType === 'INVERTER' && !a.isConceptualNode);
    const index = inv ? realInverters.indexOf(inv) : -1;
    if (index < 0) {
      skipped.push({ id: s.id, name: s.name, reason: 'string without an inverter above it' });
      continue;
    }
    stringsOf.set(index, [...(stringsOf.get(index) ?? []), s]);
  }
  const strings: PlantString[] = [];
  for (const [index, list] of [...stringsOf].sort((a, b) => a[0] - b[0])) {
    const shares = stringShares(options.seed, index, list.length);
    list.forEach((s, j) =>
      strings.push({ componentId: s.id, inverter: index, share: shares[j]!, vmp: stringVmp(inverters[index]!.sizeKw * shares[j]!) }),
    );
  }

  const weatherStations = ofType('WEATHERSTATION').map((w) => w.id);
  for (const c of live) {
    if (!['INVERTER', 'METER', 'STRING', 'WEATHERSTATION'].includes(c.nodeType)) {
      skipped.push({ id: c.id, name: c.name, reason: `${c.nodeType} (not simulated)` });
    }
  }
  return {
    plan: {
      seed: options.seed,
      place: options.place,
      settings: options.settings,
      intervalMinutes: options.intervalMinutes,
      inverters,
      strings,
      meters,
      weatherStations,
    },
    skipped,
  };
}
