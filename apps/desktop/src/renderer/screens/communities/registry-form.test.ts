import { describe, expect, it } from 'vitest';
import {
  fieldOfPath,
  placeRefusal,
  readFields,
  readValue,
  sentence,
  toFormValue,
  withProperties,
  type FieldSpec,
} from './registry-form.js';

const power: FieldSpec = { name: 'properties.rated_power', label: 'Rated power (kWp)', kind: 'number' };
const ports: FieldSpec = { name: 'properties.num_ports', label: 'Ports', kind: 'integer' };
const name: FieldSpec = { name: 'name', label: 'Name', kind: 'text', required: true };
const smart: FieldSpec = { name: 'properties.smart_charging', label: 'Smart charging', kind: 'boolean' };

describe('the registry forms', () => {
  it('reads numbers in the person’s locale and refuses what is not one', () => {
    expect(readValue(power, '4,5', 'de-DE')).toEqual({ ok: true, value: 4.5 });
    expect(readValue(power, '1,234.5', 'en-GB')).toEqual({ ok: true, value: 1234.5 });
    expect(readValue(power, 'twelve', 'en-US')).toEqual({ ok: false, problem: 'Enter a number, such as 4.5.' });
    expect(readValue(power, 'zwölf', 'de-DE')).toEqual({ ok: false, problem: 'Enter a number, such as 4,5.' });
    expect(readValue(ports, '2.5', 'en-US')).toEqual({ ok: false, problem: 'Enter a whole number.' });
    expect(readValue(power, '  ', 'en-US')).toEqual({ ok: true, value: null });
  });

  it('says a required field is missing in its own words, and clears an optional one', () => {
    expect(readValue(name, ' ', 'en-US')).toEqual({ ok: false, problem: 'Name is required.' });
    expect(readValue(smart, '', 'en-US')).toEqual({ ok: true, value: null });
    expect(readValue(smart, 'false', 'en-US')).toEqual({ ok: true, value: false });
  });

  it('reports every problem at once and reads only the fields asked for', () => {
    const specs = [name, power, ports];
    const form = { name: '', 'properties.rated_power': 'x', 'properties.num_ports': '3' };
    expect(readFields(specs, form, ['name', 'properties.rated_power', 'properties.num_ports'], 'en-US')).toEqual({
      values: { 'properties.num_ports': 3 },
      errors: { name: 'Name is required.', 'properties.rated_power': 'Enter a number, such as 4.5.' },
    });
    expect(readFields(specs, form, ['properties.num_ports'], 'en-US')).toEqual({ values: { 'properties.num_ports': 3 }, errors: {} });
  });

  it('shows stored values as the form types them', () => {
    expect(toFormValue(power, 1234.5, 'de-DE')).toBe('1234,5');
    expect(toFormValue(smart, true, 'en-US')).toBe('true');
    expect(toFormValue(name, null, 'en-US')).toBe('');
  });

  it('puts changed properties over the stored ones, leaving out the cleared ones', () => {
    const stored = { rated_power: 6.5, panel_type: 'mono', tilt_angle: 30 };
    expect(withProperties({ name: 'Roof', 'properties.rated_power': 7, 'properties.tilt_angle': null }, stored)).toEqual({
      name: 'Roof',
      properties: { rated_power: 7, panel_type: 'mono' },
    });
    expect(withProperties({ name: 'Roof' }, stored)).toEqual({ name: 'Roof' });
    expect(withProperties({ name: 'New', 'properties.capacity': null }, undefined)).toEqual({ name: 'New', properties: {} });
  });

  it('puts core’s refusals at the field they name', () => {
    const names = ['key', 'name', 'properties.rated_power'];
    expect(fieldOfPath('patch.key', names)).toBe('key');
    expect(fieldOfPath('properties.rated_power', names)).toBe('properties.rated_power');
    expect(fieldOfPath('patch.properties.rated_power', names)).toBe('properties.rated_power');
    expect(fieldOfPath('delivery_points', names)).toBeUndefined();
    const shown = {
      message: 'member meets the registry’s other rows',
      code: 'CONFLICT',
      details: [
        { path: 'key', message: 'member key m-1 is already used in this community' },
        { path: 'assets', message: 'assets of other members name its assets: pv-2' },
      ],
    };
    expect(placeRefusal(shown, [name, { name: 'key', label: 'Member key', kind: 'text' }])).toEqual({
      fields: { key: 'Member key m-1 is already used in this community.' },
      general: 'member meets the registry’s other rows (assets: assets of other members name its assets: pv-2)',
    });
    expect(sentence('done!')).toBe('Done!');
  });
});
