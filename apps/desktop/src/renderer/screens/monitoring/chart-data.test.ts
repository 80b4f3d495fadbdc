import { describe, expect, it } from 'vitest';
import {
  dailyEnergy,
  dayInZone,
  formatValue,
  freshnessLabel,
  powerHeading,
  todayPower,
  unitFor,
  type ChartAggregates,
} from './chart-data.js';

const berlin: ChartAggregates = {
  timezone: 'Europe/Berlin',
  daily: [
    { ts: '2025-05-31T00:00:00+02:00', Wh_sum: null, Wh_e_sum: 40000 },
    { ts: '2025-06-01T00:00:00+02:00', Wh_sum: 41250, Wh_e_sum: 40000 },
    { ts: '2025-06-02T00:00:00+02:00', Wh_sum: 30000, Wh_e_sum: 40000 },
  ],
  today: [
    { ts: '2025-06-02T11:00:00+02:00', W_avg: 4000, W_m_avg: 4200 },
    { ts: '2025-06-02T11:05:00+02:00', W_avg: 5120.5, W_m_avg: 5600 },
    { ts: '2025-06-02T11:10:00+02:00', W_avg: 4800, W_m_avg: null },
    { ts: '2025-06-02T11:15:00+02:00', W_avg: null, W_m_avg: null },
  ],
};

describe('chart units', () => {
  it('picks the unit under which the largest value is at least 1', () => {
    expect(unitFor('Wh', 999)).toMatchObject({ label: 'Wh', divisor: 1 });
    expect(unitFor('Wh', 41250)).toMatchObject({ label: 'kWh', divisor: 1000, decimals: 1 });
    expect(unitFor('W', 2_500_000)).toMatchObject({ label: 'MW', divisor: 1e6, decimals: 2 });
    expect(unitFor('Wh', 3.2e9)).toMatchObject({ label: 'GWh' });
    expect(unitFor('W', 0)).toMatchObject({ label: 'W' });
  });

  it('writes values in the reader’s locale, a dash where there is none', () => {
    const kWh = unitFor('Wh', 5000);
    expect(formatValue(1234567, kWh, 'en-GB')).toBe('1,234.6');
    expect(formatValue(1234567, kWh, 'de-DE')).toBe('1.234,6');
    expect(formatValue(null, kWh, 'en-GB')).toBe('—');
  });
});

describe('daily energy chart', () => {
  it('labels each day in the site’s zone and scales bars and line to one unit', () => {
    const shaped = dailyEnergy(berlin, 'en-GB');
    expect(shaped.labels).toEqual(['31 May', '1 Jun', '2 Jun']);
    expect(shaped.unit.label).toBe('kWh');
    expect(shaped.measured).toEqual([null, 41.25, 30]);
    expect(shaped.reference).toEqual([40, 40, 40]);
    expect(shaped.rows[1]).toEqual({ label: '1 Jun', measured: 41250, reference: 40000 });
  });

  it('says the total against the expected energy of the measured days, and the best day', () => {
    // 71.25 kWh measured on two days; 80 kWh expected on those two days: 89 %.
    expect(dailyEnergy(berlin, 'en-GB').summary).toBe(
      'Energy over the last 3 days: 71.3 kWh measured on 2 days, against 80.0 kWh expected (89%). Best day 1 Jun: 41.3 kWh.',
    );
  });

  it('says so when there is no expected energy, or nothing measured', () => {
    const noExpected = { ...berlin, daily: berlin.daily.map(({ ts, Wh_sum }) => ({ ts, Wh_sum })) };
    expect(dailyEnergy(noExpected, 'en-GB').summary).toContain('measured on 2 days; no expected energy for this site.');
    expect(dailyEnergy(noExpected, 'en-GB').hasReference).toBe(false);
    const nothing = { ...berlin, daily: berlin.daily.map(({ ts }) => ({ ts })) };
    expect(dailyEnergy(nothing, 'en-GB').summary).toBe('No energy measured in the last 3 days.');
    expect(dailyEnergy(nothing, 'en-GB').hasMeasured).toBe(false);
  });

  it('puts a day on the site’s calendar even where the reader’s own zone is a day behind', () => {
    const kiritimati = { timezone: 'Pacific/Kiritimati', daily: [{ ts: '2025-06-02T00:00:00+14:00', Wh_sum: 1 }], today: [] };
    expect(dailyEnergy(kiritimati, 'en-GB').labels).toEqual(['2 Jun']);
  });
});

describe('power chart', () => {
  it('labels points with the site’s wall-clock time', () => {
    const shaped = todayPower(berlin, 'en-GB');
    expect(shaped.labels).toEqual(['11:00', '11:05', '11:10', '11:15']);
    expect(shaped.unit.label).toBe('kW');
    expect(shaped.measured).toEqual([4, 5.1205, 4.8, null]);
    expect(shaped.reference).toEqual([4.2, 5.6, null, null]);
  });

  it('says the peak, the modeled peak and the latest value', () => {
    expect(todayPower(berlin, 'en-GB').summary).toBe('Peak power 5.1 kW at 11:05, modeled peak 5.6 kW at 11:05. Latest 4.8 kW at 11:10.');
    const unmodeled = { ...berlin, today: berlin.today.map(({ ts, W_avg }) => ({ ts, W_avg })) };
    expect(todayPower(unmodeled, 'en-GB').summary).toBe(
      'Peak power 5.1 kW at 11:05; no modeled power for this site. Latest 4.8 kW at 11:10.',
    );
    expect(todayPower({ ...berlin, today: [] }, 'en-GB').summary).toBe('No power measured on this day yet.');
  });

  it('is headed by its day when the kept curve is not today’s', () => {
    expect(powerHeading(berlin, new Date('2025-06-02T20:00:00Z'), 'en-GB')).toBe('Power today');
    // 22:30 UTC on the 2nd is already the 3rd in Berlin.
    expect(powerHeading(berlin, new Date('2025-06-02T22:30:00Z'), 'en-GB')).toBe('Power on Mon 2 Jun');
    expect(powerHeading({ ...berlin, today: [] }, new Date(), 'en-GB')).toBe('Power today');
  });
});

describe('freshness label', () => {
  const now = new Date('2025-06-02T12:30:00Z');
  it('gives the time the charts were fetched, and why they are not newer', () => {
    expect(freshnessLabel('2025-06-02T12:05:00Z', null, now, 'en-GB', 'UTC')).toBe('as of 12:05');
    expect(freshnessLabel('2025-06-02T12:05:00Z', 'OFFLINE', now, 'en-GB', 'Europe/Berlin')).toBe('as of 14:05, offline');
    expect(freshnessLabel('2025-06-02T12:05:00Z', 'SIGN_IN_REQUIRED', now, 'en-GB', 'UTC')).toBe('as of 12:05, sign in to update');
  });

  it('adds the date when they were fetched on another day', () => {
    expect(freshnessLabel('2025-05-30T08:00:00Z', 'OFFLINE', now, 'en-GB', 'UTC')).toBe('as of 30 May, 08:00, offline');
  });

  it('has nothing to say for charts never fetched', () => {
    expect(freshnessLabel(null, 'OFFLINE', now, 'en-GB', 'UTC')).toBeNull();
  });

  it('tells days apart in the zone asked', () => {
    expect(dayInZone(new Date('2025-06-02T22:30:00Z'), 'Europe/Berlin')).toBe('2025-06-03');
    expect(dayInZone(new Date('2025-06-02T22:30:00Z'), 'UTC')).toBe('2025-06-02');
  });
});
