// Writing bundles: the canonical form every export goes through, so that
// export → import → export gives the same bytes whatever order the database
// returned rows in and whatever the user wrote first.
//
// Canonical means:
// - a schema object's fields in the zod schema's declared order;
// - maps keyed by the user (areas, operators, members, the assets of a type)
//   sorted by key in UTF-16 code unit order (JavaScript's `<`), and free-form
//   objects (GeoJSON) sorted the same way at every level;
// - asset types in the schema's order (pv, storage, meter, ev_charger,
//   heat_pump, load); a member's delivery points sorted by id; topology
//   nodes, `measures` and an area's `topology` as given (their order means
//   something);
// - absent and null values, and empty maps, lists and objects, left out,
//   except a delivery point's `active` (always written, default true) and
//   `version`/`schema_version` (default "1.0"). Nulls inside GeoJSON are data
//   and kept.
import { z } from 'zod';
import { registryBundleIn, type RegistryBundleIn } from './schema.js';
import { YamlWriter } from './yaml-write.js';

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A free-form value (GeoJSON) with every object's keys sorted; nulls and empties kept: they are the user's data. */
function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(byCodeUnits)) out[key] = sortedDeep(value[key]);
  return out;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s;
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (!isRecord(v)) return false;
  for (const _ in v) return false;
  return true;
}

/**
 * How a value of the schema is made canonical: an object (its fields in
 * declared order), a map keyed by the user (sorted keys), a free-form map
 * (sorted at every level, kept whole), a list, or a scalar.
 */
type Plan =
  | { kind: 'object'; fields: (readonly [string, Plan])[]; alwaysActive: boolean }
  | { kind: 'map'; value: Plan }
  | { kind: 'free' }
  | { kind: 'list'; element: Plan; byId: boolean }
  | { kind: 'scalar' };

/**
 * The plan of `schema`, built once from the zod schema itself (so a field
 * added to the schema is written in its declared place with no change here).
 * `path` names the field, for the few fields with a rule of their own.
 */
function planOf(schema: z.ZodType, path: string): Plan {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    const fields = Object.entries(s.shape as Record<string, z.ZodType>).map(
      ([name, field]) => [name, planOf(field, path ? `${path}.${name}` : name)] as const,
    );
    return { kind: 'object', fields, alwaysActive: path === 'members.*.delivery_points.*' };
  }
  if (s instanceof z.ZodRecord) {
    const valueSchema = s.valueType as z.ZodType;
    if (unwrap(valueSchema) instanceof z.ZodUnknown) return { kind: 'free' };
    return { kind: 'map', value: planOf(valueSchema, `${path}.*`) };
  }
  if (s instanceof z.ZodArray) {
    return { kind: 'list', element: planOf(s.element as z.ZodType, `${path}.*`), byId: path === 'members.*.delivery_points' };
  }
  return { kind: 'scalar' };
}

let rootPlan: Plan | undefined;

/** The bundle with the header's defaults, ready for the root plan. */
function withDefaults(b: RegistryBundleIn): { plan: Plan; value: RegistryBundleIn } {
  rootPlan ??= planOf(registryBundleIn, '');
  return { plan: rootPlan, value: { ...b, version: b.version ?? '1.0', schema_version: b.schema_version ?? '1.0' } };
}

/** Whether the value has the shape its plan is for. Values of another shape (never, after validation) are passed through as they are. */
function shaped(plan: Plan, value: unknown): boolean {
  return plan.kind === 'list' ? Array.isArray(value) : plan.kind !== 'scalar' && isRecord(value);
}

const sortedKeys = (obj: Record<string, unknown>) => Object.keys(obj).sort(byCodeUnits);

/** The sort key of a delivery point: its id. */
const idOf = (v: unknown) => String(isRecord(v) && v['id'] !== null ? v['id'] : undefined);

const byId = (x: unknown, y: unknown) => byCodeUnits(idOf(x), idOf(y));

/** The canonical form of `value`, or undefined when it is left out (absent, null, or empty once canonical). */
function canonical(plan: Plan, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (plan.kind === 'scalar') return value;
  const out = shaped(plan, value) ? canonicalShaped(plan, value) : value;
  return isEmpty(out) ? undefined : out;
}

function canonicalShaped(plan: Plan, shapedValue: unknown): unknown {
  const value = shapedValue as Record<string, unknown>;
  switch (plan.kind) {
    case 'free':
      return sortedDeep(value);
    case 'object': {
      const obj: Record<string, unknown> = {};
      for (const [name, field] of plan.fields) {
        const v = canonical(field, value[name]);
        if (v !== undefined) obj[name] = v;
      }
      if (plan.alwaysActive) obj['active'] ??= true;
      return obj;
    }
    case 'map': {
      const obj: Record<string, unknown> = {};
      for (const key of sortedKeys(value)) {
        const v = canonical(plan.value, value[key]);
        if (v !== undefined) obj[key] = v;
      }
      return obj;
    }
    case 'list': {
      const items = (shapedValue as unknown[]).map((v) => canonical(plan.element, v)).filter((v) => v !== undefined);
      return plan.byId ? items.sort(byId) : items;
    }
    default:
      return value;
  }
}

/** The bundle in canonical form (see the top of this file); the input is not changed. */
export function canonicalBundle(b: RegistryBundleIn): RegistryBundleIn {
  const { plan, value } = withDefaults(b);
  return canonical(plan, value) as RegistryBundleIn;
}

// The YAML writer goes through the same plan, writing as it goes rather than
// making the canonical copy first: an export of tens of thousands of rows
// spends less than half the time. `present` is whether `canonical` keeps a
// value; the writers are given only values it keeps.

function present(plan: Plan, v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (plan.kind === 'scalar') return true;
  if (!shaped(plan, v)) return !isEmpty(v);
  const value = v as Record<string, unknown>;
  switch (plan.kind) {
    case 'object':
      if (plan.alwaysActive) return true;
      for (const [name, field] of plan.fields) if (present(field, value[name])) return true;
      return false;
    case 'map':
      for (const key in value) if (present(plan.value, value[key])) return true;
      return false;
    case 'list':
      for (const item of v as unknown[]) if (present(plan.element, item)) return true;
      return false;
    default:
      return !isEmpty(value);
  }
}

function writeEntry(plan: Plan, key: string, value: unknown, indent: string, lead: string, out: YamlWriter): void {
  if (!shaped(plan, value)) return out.entry(lead, indent, key, value, orderedKeys);
  out.blockEntry(lead, indent, key);
  writeBlock(plan, value, `${indent}  `, `${indent}  `, out);
}

function writeItem(plan: Plan, item: unknown, indent: string, lead: string, out: YamlWriter): void {
  if (!shaped(plan, item)) return out.item(lead, indent, item, orderedKeys);
  writeBlock(plan, item, `${indent}  `, `${lead}- `, out);
}

/** A value of its plan's shape, present, as a block at `indent`. */
function writeBlock(plan: Plan, v: unknown, indent: string, lead: string, out: YamlWriter): void {
  const value = v as Record<string, unknown>;
  switch (plan.kind) {
    case 'free':
      return out.block(value, indent, lead, sortedKeys);
    case 'object':
      for (const [name, field] of plan.fields) {
        const v = value[name];
        if (!present(field, v)) continue;
        writeEntry(field, name, v, indent, lead, out);
        lead = indent;
      }
      if (plan.alwaysActive && (value['active'] === undefined || value['active'] === null)) out.scalarEntry(lead, indent, 'active', true);
      return;
    case 'map':
      for (const key of sortedKeys(value)) {
        const v = value[key];
        if (!present(plan.value, v)) continue;
        writeEntry(plan.value, key, v, indent, lead, out);
        lead = indent;
      }
      return;
    case 'list': {
      const items = (v as unknown[]).filter((item) => present(plan.element, item));
      if (plan.byId) items.sort(byId);
      for (const item of items) {
        writeItem(plan.element, item, indent, lead, out);
        lead = indent;
      }
      return;
    }
  }
}

const INTEGER = /^(?:0|[1-9]\d*)$/;

/**
 * A JavaScript object lists integer-like keys ("7", "10") first, in numeric
 * order, whatever order they were added in. Where that happens (only in maps
 * keyed by the user, whose order is sorted anyway), the writers put the keys
 * back in code unit order; schema objects have no such keys.
 */
function orderedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  for (const k of keys) if (k.charCodeAt(0) <= 57 && INTEGER.test(k)) return keys.sort(byCodeUnits);
  return keys;
}

/**
 * Bundles as one multi-document YAML text, canonical. Every document starts
 * with `---` (one bundle or many, the text has the same shape), the style is
 * block, no anchors or aliases, no line folding (a long string stays on one
 * line, so diffs stay readable and the bytes do not depend on a width),
 * strings quoted only where a YAML 1.2 or 1.1 reader needs it (see
 * yaml-write.ts), and the text ends with a newline. No bundles: the empty string.
 */
export function bundlesToYaml(bundles: RegistryBundleIn[]): string {
  const out = new YamlWriter();
  for (const b of bundles) {
    const { plan, value } = withDefaults(b);
    out.raw('---\n');
    // The header's version is always there: a canonical bundle is never empty.
    writeBlock(plan, value, '', '', out);
  }
  return out.text();
}

function writeJson(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    const inner = `${indent}  `;
    out.push('[');
    value.forEach((v, i) => {
      out.push(i === 0 ? `\n${inner}` : `,\n${inner}`);
      writeJson(v, inner, out);
    });
    out.push(`\n${indent}]`);
  } else if (isRecord(value)) {
    const keys = orderedKeys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) {
      out.push('{}');
      return;
    }
    const inner = `${indent}  `;
    out.push('{');
    keys.forEach((k, i) => {
      out.push(`${i === 0 ? '\n' : ',\n'}${inner}${JSON.stringify(k)}: `);
      writeJson(value[k], inner, out);
    });
    out.push(`\n${indent}}`);
  } else out.push(JSON.stringify(value));
}

/** One bundle as canonical JSON (2-space indent, as JSON.stringify writes it, ending with a newline), for the CLI. */
export function bundleToJson(b: RegistryBundleIn): string {
  const out: string[] = [];
  writeJson(canonicalBundle(b), '', out);
  out.push('\n');
  return out.join('');
}
