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
import { yamlText } from './yaml-write.js';

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

/** Writes the canonical form of one value, or undefined when it is to be left out. */
type Canon = (value: unknown) => unknown;

/**
 * Builds the canonical writer of `schema` once, from the zod schema itself
 * (so a field added to the schema is written in its declared place with no
 * change here). `path` names the field, for the few fields with a rule of
 * their own. Values of the wrong shape (never, after validation) are passed through.
 */
function compile(schema: z.ZodType, path: string): Canon {
  const s = unwrap(schema);
  const leaveOutEmpty =
    (f: Canon): Canon =>
    (value) => {
      if (value === undefined || value === null) return undefined;
      const out = f(value);
      return isEmpty(out) ? undefined : out;
    };
  if (s instanceof z.ZodObject) {
    const fields = Object.entries(s.shape as Record<string, z.ZodType>).map(
      ([name, field]) => [name, compile(field, path ? `${path}.${name}` : name)] as const,
    );
    const alwaysActive = path === 'members.*.delivery_points.*';
    return leaveOutEmpty((value) => {
      if (!isRecord(value)) return value;
      const obj: Record<string, unknown> = {};
      for (const [name, canon] of fields) {
        const v = canon(value[name]);
        if (v !== undefined) obj[name] = v;
      }
      if (alwaysActive) obj.active ??= true;
      return obj;
    });
  }
  if (s instanceof z.ZodRecord) {
    const valueSchema = s.valueType as z.ZodType;
    if (unwrap(valueSchema) instanceof z.ZodUnknown) return leaveOutEmpty(sortedDeep);
    const canon = compile(valueSchema, `${path}.*`);
    return leaveOutEmpty((value) => {
      if (!isRecord(value)) return value;
      const obj: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort(byCodeUnits)) {
        const v = canon(value[key]);
        if (v !== undefined) obj[key] = v;
      }
      return obj;
    });
  }
  if (s instanceof z.ZodArray) {
    const canon = compile(s.element as z.ZodType, `${path}.*`);
    const byId = path === 'members.*.delivery_points';
    return leaveOutEmpty((value) => {
      if (!Array.isArray(value)) return value;
      const items = value.map(canon).filter((v) => v !== undefined);
      if (byId) items.sort((x, y) => byCodeUnits(String((x as { id?: unknown }).id), String((y as { id?: unknown }).id)));
      return items;
    });
  }
  return (value) => (value === null ? undefined : value);
}

let canonicalRoot: Canon | undefined;

/** The bundle in canonical form (see the top of this file); the input is not changed. */
export function canonicalBundle(b: RegistryBundleIn): RegistryBundleIn {
  canonicalRoot ??= compile(registryBundleIn, '');
  const withDefaults = { ...b, version: b.version ?? '1.0', schema_version: b.schema_version ?? '1.0' };
  return canonicalRoot(withDefaults) as RegistryBundleIn;
}

/**
 * A JavaScript object lists integer-like keys ("7", "10") first, in numeric
 * order, whatever order they were added in. Where that happens (only in maps
 * keyed by the user, whose order is sorted anyway), the writers put the keys
 * back in code unit order; schema objects have no such keys.
 */
function orderedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  const integerLike = (k: string) => k.charCodeAt(0) <= 57 && /^(?:0|[1-9]\d*)$/.test(k);
  return keys.some(integerLike) ? keys.sort(byCodeUnits) : keys;
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
  return bundles.map((b) => `---\n${yamlText(canonicalBundle(b) as Record<string, unknown>, orderedKeys)}`).join('');
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
