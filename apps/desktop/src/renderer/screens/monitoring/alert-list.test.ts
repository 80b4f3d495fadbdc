import { describe, expect, it } from 'vitest';
import { formatInZone, openAndRecent, openFor, type ListedAlert } from './alert-list.js';

const now = new Date('2025-06-10T12:00:00Z');
const alert = (id: string, priority: ListedAlert['priority'], startedAt: string, endedAt: string | null = null): ListedAlert => ({
  id,
  priority,
  startedAt,
  endedAt,
});

describe('site alerts list', () => {
  it('puts open alerts first, most pressing and newest on top, then recently closed ones, latest first', () => {
    const alerts = [
      alert('closed-old', 'High', '2025-06-01T08:00:00Z', '2025-06-02T08:00:00Z'),
      alert('open-low', 'Low', '2025-06-10T11:00:00Z'),
      alert('closed-recent', 'Low', '2025-06-09T08:00:00Z', '2025-06-09T09:00:00Z'),
      alert('open-high-older', 'High', '2025-06-08T11:00:00Z'),
      alert('open-high-newer', 'High', '2025-06-10T10:00:00Z'),
      alert('closed-earlier', 'Medium', '2025-06-05T08:00:00Z', '2025-06-05T09:00:00Z'),
    ];
    expect(openAndRecent(alerts, now).map((a) => a.id)).toEqual([
      'open-high-newer',
      'open-high-older',
      'open-low',
      'closed-recent',
      'closed-earlier',
    ]);
  });

  it('keeps an alert closed exactly 7 days ago and drops one closed before', () => {
    const alerts = [
      alert('edge', 'Low', '2025-06-01T00:00:00Z', '2025-06-03T12:00:00Z'),
      alert('older', 'Low', '2025-06-01T00:00:00Z', '2025-06-03T11:59:59Z'),
    ];
    expect(openAndRecent(alerts, now).map((a) => a.id)).toEqual(['edge']);
  });
});

describe('alert times', () => {
  it('writes an instant on the site’s wall clock with its zone', () => {
    expect(formatInZone('2025-06-10T12:05:00Z', 'Europe/Berlin', 'en-GB')).toBe('10 Jun 2025, 14:05 CEST');
    expect(formatInZone('2025-01-10T12:05:00Z', 'Asia/Kolkata', 'en-GB')).toBe('10 Jan 2025, 17:35 GMT+5:30');
  });

  it('says how long an alert has been open, or was', () => {
    expect(openFor('2025-06-10T11:15:00Z', null, now)).toBe('45 min');
    expect(openFor('2025-06-10T09:00:00Z', null, now)).toBe('3 h');
    expect(openFor('2025-06-10T08:50:00Z', '2025-06-10T12:00:00Z', now)).toBe('3 h 10 min');
    expect(openFor('2025-06-08T08:00:00Z', null, now)).toBe('2 d 4 h');
  });
});
