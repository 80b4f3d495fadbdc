import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_ID, IMPORT_REQUEST_SCHEMA_ID, bundleJsonSchema, importRequestJsonSchema } from './json-schema.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[] };

/** The schema a property resolves to, through anyOf [T, null] and local $refs. */
function resolve(root: Schema, s: Schema): Schema {
  const ref = s.$ref as string | undefined;
  if (ref?.startsWith('#/$defs/')) return resolve(root, (root.$defs as Record<string, Schema>)[ref.slice(8)]!);
  const anyOf = s.anyOf as Schema[] | undefined;
  if (anyOf)
    return resolve(
      root,
      anyOf.find((x) => x.type !== 'null')!,
    );
  return s;
}

describe('bundle JSON Schema', () => {
  it('names itself and the dialect, and is plain JSON', () => {
    const schema = bundleJsonSchema() as Schema;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(BUNDLE_SCHEMA_ID);
    expect(schema.title).toBe('Helio community bundle');
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('says what the validator says: required fields, closed objects, keyed maps, enums, asset types', () => {
    const root = bundleJsonSchema() as Schema;
    expect(root.required).toEqual(['community']);
    expect(root.additionalProperties).toBe(false);
    const community = resolve(root, root.properties!.community!);
    expect(community.required).toEqual(['id', 'name']);
    const members = resolve(root, root.properties!.members!);
    expect((members.propertyNames as Schema).pattern).toBe('^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$');
    const member = resolve(root, members.additionalProperties as Schema);
    expect(member.required).toEqual(['name', 'role', 'area', 'status']);
    expect(member.additionalProperties).toBe(false);
    expect(resolve(root, member.properties!.role!).enum).toEqual(['consumer', 'prosumer', 'producer', 'operator', 'admin']);
    const assets = resolve(root, member.properties!.assets!);
    expect(Object.keys(assets.properties!)).toEqual(['pv', 'storage', 'meter', 'ev_charger', 'heat_pump', 'load']);
    const meter = resolve(root, resolve(root, assets.properties!.meter!).additionalProperties as Schema);
    expect(meter.required).toEqual(['name', 'sensor_id', 'meter_type']);
  });

  it('publishes the import request wrapper with the bundle inside', () => {
    const schema = importRequestJsonSchema() as Schema;
    expect(schema.$id).toBe(IMPORT_REQUEST_SCHEMA_ID);
    expect(schema.required).toEqual(['bundle']);
    expect(Object.keys(schema.properties!)).toEqual(['bundle', 'dry_run']);
    expect(resolve(schema, schema.properties!.dry_run!).type).toBe('boolean');
    expect(resolve(schema, schema.properties!.bundle!).required).toEqual(['community']);
  });
});
