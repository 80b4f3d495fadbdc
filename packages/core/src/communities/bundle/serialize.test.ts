import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseJsonImport, parseJsonText, parseYamlBundles } from './parse.js';
import type { RegistryBundleIn } from './schema.js';
import { bundlesToYaml, bundleToJson, canonicalBundle } from './serialize.js';
import { minimalBundle, variedBundle } from './test-bundles.js';

/** Export → parse → export: the parsed bundle must be valid, and the second export the same bytes. */
function yamlRoundTrip(bundles: RegistryBundleIn[]): { first: string; second: string; parsed: RegistryBundleIn[] } {
  const first = bundlesToYaml(bundles);
  const docs = parseYamlBundles(first);
  for (const d of docs) expect(d.problems).toEqual([]);
  const parsed = docs.map((d) => d.bundle!);
  // The writer writes the canonical form itself, without making it first: the
  // text as read, before validation, has the canonical form's keys in its order.
  const read = parseAllDocuments(first).map((d) => d.toJS() as unknown);
  expect(read.map((r) => JSON.stringify(r))).toEqual(bundles.map((b) => JSON.stringify(canonicalBundle(b))));
  return { first, second: bundlesToYaml(parsed), parsed };
}

describe('canonicalBundle', () => {
  it('orders fields as the schema declares them and maps by key, and leaves the input alone', () => {
    const input = variedBundle();
    const before = JSON.stringify(input);
    const c = canonicalBundle(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(Object.keys(c)).toEqual(['version', 'schema_version', 'metadata', 'community', 'members']);
    expect(Object.keys(c.community)).toEqual([
      'id',
      'name',
      'description',
      'legal',
      'links',
      'contact',
      'settings',
      'operators',
      'areas',
      'topology',
    ]);
    expect(Object.keys(c.community.operators!)).toEqual(['a-dso', 'z-dso']);
    expect(Object.keys(c.community.areas!)).toEqual(['east.1', 'north', 'south']);
    // Integer-like keys: a JavaScript object lists them first whatever the order; the writers restore code unit order.
    expect(Object.keys(c.members!).sort()).toEqual(['10', '9', 'm-b', 'm~a']);
    expect(Object.keys(c.members!['m-b']!.assets!)).toEqual(['pv', 'storage', 'meter']);
    expect(Object.keys(c.members!['10']!.assets!)).toEqual(['meter', 'ev_charger', 'heat_pump', 'load']);
  });

  it('sorts delivery points by id and keeps topology, measures and area topology in their given order', () => {
    const c = canonicalBundle(variedBundle());
    expect(c.members!['m-b']!.delivery_points!.map((d) => d.id)).toEqual(['IT001E0001', 'IT001E0002']);
    expect(c.community.topology!.map((n) => n.id)).toEqual(['ps-1', 'ss-2', 'tr-3', 'cab_4']);
    expect(c.community.areas!.south!.topology).toEqual(['ss-2', 'ps-1']);
  });

  it('leaves out nulls and empty maps, lists and objects, but always writes active, version and schema_version', () => {
    const c = canonicalBundle(variedBundle());
    expect(c.community.legal).toEqual({ name: 'Varied REC APS', vat: 'IT0123456789', legal_form: 'APS' });
    expect(c.members!['9']).toEqual({ user_id: '0042', name: 'null', role: 'producer', area: 'east.1', status: 'suspended' });
    expect(c.members!['m~a']!.delivery_points).toBeUndefined();
    expect(c.members!['m-b']!.assets!.pv!['pv-1']!.relationships).toEqual({ paired_with: 'st-1' });
    expect(c.members!['m-b']!.assets!.pv!['pv-1']!.device).toEqual({ type: 'fronius', model: 'Symo 5.0', serial_number: '001' });
    expect(c.members!['m-b']!.delivery_points!.map((d) => d.active)).toEqual([true, false]);
    expect(c.community.topology![2]).toEqual({ id: 'tr-3', type: 'transformer', parent: 'ss-2' });
    const bare = canonicalBundle({ ...minimalBundle(), members: {}, metadata: null });
    expect(bare).toEqual({ version: '1.0', schema_version: '1.0', community: minimalBundle().community });
  });

  it('sorts GeoJSON keys at every level and keeps its nulls, which are data', () => {
    const c = canonicalBundle(variedBundle());
    const geometry = c.community.areas!.north!.geometry!;
    expect(Object.keys(geometry)).toEqual(['coordinates', 'properties', 'type']);
    expect(geometry.properties).toBeNull();
  });
});

describe('bundlesToYaml', () => {
  it('writes nothing for no bundles, and one document per bundle, each starting with ---', () => {
    expect(bundlesToYaml([])).toBe('');
    const one = bundlesToYaml([minimalBundle()]);
    expect(one).toBe(
      '---\nversion: "1.0"\nschema_version: "1.0"\ncommunity:\n  id: rec-min\n  name: Minimal REC\n  areas:\n    north:\n      name: North\n' +
        'members:\n  m-1:\n    name: Alice\n    role: consumer\n    area: north\n    status: active\n',
    );
    const two = bundlesToYaml([minimalBundle('a'), minimalBundle('b')]);
    expect(two.match(/^---$/gm)).toHaveLength(2);
    expect(two.startsWith('---\n')).toBe(true);
    expect(two.endsWith('\n')).toBe(true);
  });

  it('writes no anchors or aliases, even for an object used twice', () => {
    const device = { type: 'shelly', model: 'pro3em' };
    const b = minimalBundle();
    b.members!['m-1']!.assets = {
      meter: {
        a: { name: 'A', sensor_id: 'S-A', meter_type: 'import', device },
        b: { name: 'B', sensor_id: 'S-B', meter_type: 'import', device },
      },
    };
    const text = bundlesToYaml([b]);
    expect(text).not.toMatch(/[&*]\w/);
    expect(text.match(/model: pro3em/g)).toHaveLength(2);
  });

  it('does not fold long strings and lists integer-like keys in code unit order', () => {
    const b = minimalBundle();
    const long = 'word '.repeat(100).trim();
    b.community.description = long;
    b.members!['10'] = { name: 'Ten', role: 'consumer', area: 'north', status: 'active' };
    b.members!['9'] = { name: 'Nine', role: 'consumer', area: 'north', status: 'active' };
    const text = bundlesToYaml([b]);
    expect(text).toContain(`  description: ${long}\n`);
    expect(text.indexOf('"10":')).toBeLessThan(text.indexOf('"9":'));
    expect(text.indexOf('"9":')).toBeLessThan(text.indexOf('m-1:'));
  });

  it('quotes strings a YAML 1.1 reader would take for a boolean, a date or a number', () => {
    const b = minimalBundle();
    b.community.areas!.north!.name = 'yes';
    b.metadata = { created: '2024-01-01T10:00:00Z', updated: '2024-02-03', updated_by: 'on', description: '1:20' };
    b.members!['m-1']!.name = 'Off';
    b.members!['m-1']!.assets = {
      pv: { p: { name: 'n', installation_date: '2023-05-01', panel_type: '1_000', device: { model: '1.2.3' } } },
    };
    const text = bundlesToYaml([b]);
    for (const quoted of ['"yes"', '"2024-01-01T10:00:00Z"', '"2024-02-03"', '"on"', '"1:20"', '"Off"', '"2023-05-01"', '"1_000"']) {
      expect(text).toContain(quoted);
    }
    expect(text).toContain('model: 1.2.3\n');
    expect(yamlRoundTrip([b]).second).toBe(text);
  });
});

describe('round trip', () => {
  it('export → parse → export is byte-identical for a bundle using every part of the format', () => {
    const { first, second, parsed } = yamlRoundTrip([variedBundle('a'), variedBundle('b')]);
    expect(second).toBe(first);
    expect(parsed[0]).toEqual(canonicalBundle(variedBundle('a')));
  });

  it('gives the same export whatever order maps, asset types and delivery points were written in', () => {
    const b = variedBundle();
    const reversed = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());
    const shuffled: RegistryBundleIn = {
      members: reversed(b.members!) as RegistryBundleIn['members'],
      community: { ...b.community, areas: reversed(b.community.areas!) as never, operators: reversed(b.community.operators!) as never },
      metadata: b.metadata,
      version: b.version,
      schema_version: b.schema_version,
    };
    const mb = shuffled.members!['m-b']!;
    mb.delivery_points = [...mb.delivery_points!].reverse();
    mb.assets = reversed(mb.assets!) as never;
    expect(bundlesToYaml([shuffled])).toBe(bundlesToYaml([b]));
    expect(bundleToJson(shuffled)).toBe(bundleToJson(b));
  });

  it('JSON export → parse → export is byte-identical, 2-space indented', () => {
    const json = bundleToJson(variedBundle());
    expect(json).toContain('\n  "version": "2.1",\n');
    expect(json.endsWith('}\n')).toBe(true);
    const again = parseJsonImport(parseJsonText(json));
    expect(again.problems).toEqual([]);
    expect(bundleToJson(again.bundle!)).toBe(json);
    expect(json.indexOf('"10": {')).toBeLessThan(json.indexOf('"9": {'));
    // Apart from the order of integer-like keys, what JSON.stringify writes.
    const plain = minimalBundle();
    expect(bundleToJson(plain)).toBe(`${JSON.stringify(canonicalBundle(plain), null, 2)}\n`);
  });

  it('holds for generated bundles (property)', () => {
    fc.assert(
      fc.property(arbitraryBundle(), (b) => {
        const { first, second, parsed } = yamlRoundTrip([b]);
        expect(second).toBe(first);
        expect(parsed[0]).toEqual(canonicalBundle(b));
        const json = bundleToJson(b);
        expect(bundleToJson(parseJsonImport(parseJsonText(json)).bundle!)).toBe(json);
      }),
      { numRuns: 60 },
    );
  });
});

// Strings with what YAML treats specially: indicators, quotes, comments, line breaks, spaces at either end, unicode.
const tricky = fc.constantFrom(
  ...[
    'a',
    'Z',
    '0',
    ' ',
    '\n',
    '\t',
    '\r',
    '#',
    ':',
    '- ',
    '"',
    "'",
    '\\',
    'é',
    '名',
    '😀',
    '{',
    '[',
    '&',
    '*',
    '!',
    '|',
    '>',
    '%',
    '@',
    '`',
    ',',
    '?',
    '---',
  ],
);
const text = (min: number) =>
  fc.oneof(fc.string({ unit: tricky, minLength: min, maxLength: 12 }), fc.constantFrom('yes', 'null', '~', '1.0', '0x1', '2023-05-01'));
const key = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._~-]{0,6}$/), fc.constantFrom('1', '9', '10', '007', 'true', 'null', '1e3'));
const id = fc.stringMatching(/^[A-Z0-9][A-Za-z0-9 /:-]{0,8}[A-Z0-9]$/);
const num = fc.oneof(fc.double({ min: 0, max: 1e12, noNaN: true }), fc.integer({ min: 0, max: 10_000 }));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

function arbitraryBundle(): fc.Arbitrary<RegistryBundleIn> {
  const assets = fc.record({
    pv: opt(
      fc.dictionary(
        key,
        fc.record({ name: text(1), rated_power: opt(fc.option(num)), tilt_angle: opt(fc.double({ noNaN: true, min: -90, max: 90 })) }),
      ),
    ),
    meter: opt(
      fc.dictionary(key, fc.record({ name: text(1), sensor_id: id, meter_type: fc.constantFrom('import' as const, 'export' as const) })),
    ),
    ev_charger: opt(
      fc.dictionary(
        key,
        fc.record({ name: text(1), max_power: num, charger_type: text(1), connector_types: opt(fc.array(text(0), { maxLength: 3 })) }),
      ),
    ),
    load: opt(fc.dictionary(key, fc.record({ name: text(1), controllable: opt(fc.option(fc.boolean())) }))),
  });
  const member = fc.record({
    user_id: opt(fc.option(id)),
    name: text(1),
    role: fc.constantFrom('consumer' as const, 'prosumer' as const),
    status: fc.constantFrom('active' as const, 'pending' as const),
    delivery_points: opt(
      fc.array(fc.record({ id, type: fc.constant('pod' as const), active: opt(fc.boolean()), description: opt(text(0)) }), {
        maxLength: 3,
      }),
    ),
    assets: opt(assets),
  });
  return fc
    .record({
      version: opt(text(1).filter((s) => s.length <= 20)),
      metadata: opt(fc.option(fc.record({ description: opt(text(0)), created: opt(text(0)) }))),
      community: fc.record({
        id: key,
        name: text(1),
        description: opt(fc.option(text(0))),
        areas: fc.dictionary(key, fc.record({ name: text(1) }), { minKeys: 1 }),
      }),
      members: opt(fc.dictionary(key, member, { maxKeys: 4 })),
    })
    .map((b) => uniqueReferences(b as RegistryBundleIn));
}

/** Makes generated values that must be unique in a bundle unique, and points every member at an existing area. */
function uniqueReferences(b: RegistryBundleIn): RegistryBundleIn {
  const area = Object.keys(b.community.areas!)[0]!;
  let n = 0;
  for (const [memberKey, m] of Object.entries(b.members ?? {})) {
    m.area = area;
    if (m.user_id) m.user_id = `${m.user_id}-${memberKey}`;
    for (const dp of m.delivery_points ?? []) dp.id = `${dp.id}-${n++}`;
    for (const [type, byKey] of Object.entries(m.assets ?? {})) {
      const renamed: Record<string, { sensor_id?: string | null }> = {};
      for (const [k, a] of Object.entries(byKey ?? {})) {
        const asset = a as { sensor_id?: string | null };
        if (asset.sensor_id) asset.sensor_id = `${asset.sensor_id}-${n}`;
        renamed[`${k}.${n++}`] = asset;
      }
      (m.assets as Record<string, unknown>)[type] = renamed;
    }
  }
  return b;
}
