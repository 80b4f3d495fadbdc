import { describe, expect, it } from 'vitest';
import { parseDataParams } from './params.js';

const base = { start: '2024-03-09T00:00:00', end: '2024-03-10T00:00:00', tz: 'UTC', gran: 'hourly' };

describe('data parameters', () => {
  it('takes fields as a query string gives them: comma-separated, repeated, with spaces, each once', () => {
    const names = (fields: unknown) => parseDataParams({ ...base, fields }, 'component', 'UTC').fields.map((f) => f.shortName);
    expect(names('W_avg,Wh_sum')).toEqual(['W_avg', 'Wh_sum']);
    expect(names(['W_avg', 'Wh_sum,W_max'])).toEqual(['W_avg', 'Wh_sum', 'W_max']);
    expect(names(' W_avg , Wh_sum,W_avg')).toEqual(['W_avg', 'Wh_sum']);
    expect(() => names('W_avg,,Wh_sum')).toThrow(/no empty entry/);
    expect(() => names('')).toThrow(/fields is required/);
  });

  it('turns start and end into instants of the zone', () => {
    const req = parseDataParams({ ...base, fields: 'Wh_sum', tz: 'US/Pacific' }, 'site', 'UTC');
    expect(req.start).toBe(Date.parse('2024-03-09T08:00:00Z'));
    expect(req.end).toBe(Date.parse('2024-03-10T08:00:00Z'));
    expect(req.inverterClipping).toBe(true);
  });

  it('answers latest in the entity’s zone unless asked otherwise, ignoring start and end', () => {
    expect(parseDataParams({ fields: 'W_avg', gran: 'latest' }, 'component', 'Asia/Kathmandu').tz).toBe('Asia/Kathmandu');
    expect(parseDataParams({ fields: 'W_avg', gran: 'latest', tz: 'UTC', start: 'whenever' }, 'component', 'Asia/Kathmandu').tz).toBe(
      'UTC',
    );
  });

  it('refuses a parameter given twice, and text no database can hold', () => {
    expect(() => parseDataParams({ ...base, fields: 'Wh_sum', tz: ['UTC', 'US/Pacific'] }, 'component', 'UTC')).toThrow(
      /tz must be given once/,
    );
    expect(() => parseDataParams({ ...base, fields: 'Wh_sum\u0000' }, 'component', 'UTC')).toThrow(/NUL/);
    expect(() => parseDataParams('fields=Wh_sum', 'component', 'UTC')).toThrow(/must be an object/);
  });
});
