import { describe, expect, it } from 'vitest';
import { checkBundle } from './check.js';
import type { RegistryBundleIn } from './schema.js';
import { minimalBundle, variedBundle } from './test-bundles.js';

const found = (b: unknown) => checkBundle(b as RegistryBundleIn).map((p) => [p.loc.join('.'), p.type]);

/** A valid bundle with two members, delivery points and assets, to break one rule at a time. */
function base(): RegistryBundleIn {
  return {
    community: {
      id: 'rec',
      name: 'REC',
      operators: { dso: { name: 'DSO' } },
      areas: { north: { name: 'North', topology: ['ps-1'] } },
      topology: [
        { id: 'ps-1', type: 'primary_substation', operator_id: 'dso' },
        { id: 'tr-1', type: 'transformer', parent: 'ps-1' },
      ],
    },
    members: {
      a: {
        user_id: 'u-a',
        name: 'A',
        role: 'prosumer',
        area: 'north',
        status: 'active',
        delivery_points: [{ id: 'POD-A', type: 'pod', topology_node: 'tr-1' }],
        assets: {
          meter: { 'mt-a': { name: 'M', sensor_id: 'S-A', meter_type: 'import', pod: 'POD-A' } },
          pv: { 'pv-a': { name: 'PV', pod: 'POD-B', relationships: { measures: ['mt-b'], paired_with: 'mt-a' } } },
        },
      },
      b: {
        user_id: 'u-b',
        name: 'B',
        role: 'consumer',
        area: 'north',
        status: 'active',
        delivery_points: [{ id: 'POD-B', type: 'pod' }],
        assets: { meter: { 'mt-b': { name: 'M', sensor_id: 'S-B', meter_type: 'import' } } },
      },
    },
  };
}

describe('checkBundle', () => {
  it('finds nothing wrong in consistent bundles, whose references may point to other members and later entries', () => {
    expect(checkBundle(base())).toEqual([]);
    expect(checkBundle(variedBundle())).toEqual([]);
    expect(checkBundle(minimalBundle())).toEqual([]);
  });

  it('refuses a member area, area topology, operator, parent or delivery point node that does not exist', () => {
    const b = base();
    b.members!.a!.area = 'south';
    b.community.areas!.north!.topology = ['ps-1', 'nope'];
    b.community.topology![0]!.operator_id = 'other';
    b.community.topology![1]!.parent = 'ps-9';
    b.members!.a!.delivery_points![0]!.topology_node = 'tr-9';
    expect(found(b)).toEqual([
      ['community.topology.0.operator_id', 'dangling_reference'],
      ['community.topology.1.parent', 'dangling_reference'],
      ['community.areas.north.topology.1', 'dangling_reference'],
      ['members.a.area', 'dangling_reference'],
      ['members.a.delivery_points.0.topology_node', 'dangling_reference'],
    ]);
  });

  it('refuses a member area when the community has no areas at all', () => {
    const b = base();
    delete b.community.areas;
    expect(found(b)).toEqual([
      ['members.a.area', 'dangling_reference'],
      ['members.b.area', 'dangling_reference'],
    ]);
  });

  it('refuses repeated topology ids and loops of parents, each loop once', () => {
    const b = base();
    b.community.topology!.push(
      { id: 'tr-1', type: 'transformer' },
      { id: 'x', type: 'cabinet', parent: 'y' },
      { id: 'y', type: 'cabinet', parent: 'x' },
      { id: 'self', type: 'busbar', parent: 'self' },
      { id: 'z', type: 'cabinet', parent: 'x' },
    );
    const problems = checkBundle(b);
    expect(problems.map((p) => [p.loc.join('.'), p.type])).toEqual([
      ['community.topology.2.id', 'duplicate_key'],
      ['community.topology.3.parent', 'cycle'],
      ['community.topology.5.parent', 'cycle'],
    ]);
    expect(problems[1]!.msg).toBe('the parent links loop: x → y → x');
    expect(problems[2]!.msg).toBe('the parent links loop: self → self');
  });

  it('refuses a delivery point, an asset key, a sensor id or a user id used twice in the bundle', () => {
    const b = base();
    b.members!.b!.delivery_points!.push({ id: 'POD-A', type: 'pod' });
    b.members!.b!.assets!.load = { 'pv-a': { name: 'Same key, other type and member' } };
    b.members!.b!.assets!.meter!['mt-b']!.sensor_id = 'S-A';
    b.members!.b!.user_id = 'u-a';
    const problems = checkBundle(b);
    expect(problems.map((p) => [p.loc.join('.'), p.type])).toEqual([
      ['members.b.user_id', 'duplicate_key'],
      ['members.b.delivery_points.1.id', 'duplicate_key'],
      ['members.b.assets.meter.mt-b.sensor_id', 'duplicate_key'],
      ['members.b.assets.load.pv-a', 'duplicate_key'],
    ]);
    expect(problems[1]!.msg).toContain('members.a.delivery_points.0');
    expect(problems[3]!.msg).toContain('members.a.assets.pv.pv-a');
  });

  it('refuses an asset pod, measured asset or paired asset that is not in the bundle', () => {
    const b = base();
    b.members!.a!.assets!.pv!['pv-a']!.pod = 'POD-X';
    b.members!.a!.assets!.pv!['pv-a']!.relationships = { measures: ['mt-b', 'ghost'], paired_with: 'phantom' };
    expect(found(b)).toEqual([
      ['members.a.assets.pv.pv-a.pod', 'dangling_reference'],
      ['members.a.assets.pv.pv-a.relationships.measures.1', 'dangling_reference'],
      ['members.a.assets.pv.pv-a.relationships.paired_with', 'dangling_reference'],
    ]);
  });

  it('reads malformed input without throwing, checking what it can', () => {
    for (const junk of [
      null,
      3,
      'x',
      [],
      {},
      { community: 5, members: [] },
      { community: { topology: [null, 1, { parent: 'q' }] }, members: { m: null } },
    ]) {
      expect(() => checkBundle(junk as unknown as RegistryBundleIn)).not.toThrow();
    }
    expect(found({ community: { areas: { n: {} } }, members: { m: { area: 'n', assets: { meter: { k: { pod: 'P' } } } } } })).toEqual([
      ['members.m.assets.meter.k.pod', 'dangling_reference'],
    ]);
  });
});
