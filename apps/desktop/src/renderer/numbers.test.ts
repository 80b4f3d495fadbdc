import { describe, expect, it } from 'vitest';
import { formatLocaleNumber, parseLocaleNumber } from './numbers.js';

const read = (text: string, locale: string) => {
  const parsed = parseLocaleNumber(text, locale);
  return parsed.ok ? parsed.value : 'refused';
};

describe('numbers typed in the person’s locale', () => {
  it('reads a decimal comma in German and a decimal point in English', () => {
    expect(read('4,5', 'de-DE')).toBe(4.5);
    expect(read('4.5', 'en-US')).toBe(4.5);
    expect(read('-12,25', 'de-DE')).toBe(-12.25);
    expect(read('−3,5', 'de-DE')).toBe(-3.5);
  });

  it('reads grouping marks only between groups of three digits', () => {
    expect(read('1.234,5', 'de-DE')).toBe(1234.5);
    expect(read('1,234.5', 'en-US')).toBe(1234.5);
    expect(read('12 345,5', 'fr-FR')).toBe(12345.5);
    expect(read('4.500', 'de-DE')).toBe(4500);
    expect(read('1,23,4', 'en-US')).toBe('refused');
  });

  it('takes the other decimal mark where it cannot be a grouping mark', () => {
    expect(read('4.5', 'de-DE')).toBe(4.5);
    expect(read('52.52', 'de-DE')).toBe(52.52);
    expect(read('4,5', 'en-US')).toBe(4.5);
    expect(read('4,500', 'en-US')).toBe(4500);
  });

  it('refuses what is not a number, and reads empty text as cleared', () => {
    for (const typo of ['abc', '4,5,6', '4..5', '1e3', '12a', '--1', ',5,', '4 5', '1 500,5']) expect(read(typo, 'de-DE')).toBe('refused');
    // A space is a typo where the locale does not group with spaces, and a grouping mark only between groups of three where it does.
    expect(read('4 5', 'en-US')).toBe('refused');
    expect(read('4 5', 'fr-FR')).toBe('refused');
    expect(read('', 'de-DE')).toBeNull();
    expect(read('   ', 'en-US')).toBeNull();
  });

  it('shows a stored number so that it reads back the same', () => {
    for (const locale of ['de-DE', 'en-US', 'fr-FR']) {
      for (const value of [4.5, 1234.5, -0.000123, 52.520008, 1e9]) {
        expect(read(formatLocaleNumber(value, locale), locale)).toBe(value);
      }
    }
    expect(formatLocaleNumber(4.5, 'de-DE')).toBe('4,5');
    expect(formatLocaleNumber(null, 'de-DE')).toBe('');
  });
});
