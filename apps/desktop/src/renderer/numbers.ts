// Numbers as people type them: in their own locale (`4,5` is four and a half
// in Berlin, `1,234.5` is a bit over a thousand in London). A number that
// cannot be read is refused, never saved as empty.

export interface NumberSymbols {
  decimal: string;
  group: string;
}

/** The decimal and grouping marks of a locale, as Intl writes them. */
export function numberSymbols(locale: string): NumberSymbols {
  const parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
  return {
    decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    group: parts.find((p) => p.type === 'group')?.value ?? ',',
  };
}

export type ParsedNumber = { ok: true; value: number | null } | { ok: false };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Narrow and ordinary no-break spaces group digits in French and Swiss locales; people type a plain space.
const spaces = /[\s\u00a0\u202f]/g;

/**
 * Reads a number typed in `locale`. Empty text is `null` (the field is
 * cleared). Grouping marks are accepted only between groups of three digits;
 * the other locale's decimal mark is accepted too when it cannot be a
 * grouping mark (`4.5` in Berlin is 4.5, `4.500` is 4500). Anything else is
 * not a number.
 */
export function parseLocaleNumber(text: string, locale: string): ParsedNumber {
  const { decimal, group } = numberSymbols(locale);
  const typed = text.trim();
  if (typed === '') return { ok: true, value: null };
  const groupIsSpace = spaces.test(group);
  spaces.lastIndex = 0;
  const signed = typed.replace(/^[-\u2212]/, '-');
  // A space groups digits only where the locale groups with spaces; elsewhere `4 5` is a typo, not 45.
  if (!groupIsSpace && /[\s\u00a0\u202f]/.test(signed)) return { ok: false };
  const compact = signed.replace(spaces, ' ');
  const d = escape(decimal);
  const g = groupIsSpace ? ' ' : escape(group);
  const grouped = new RegExp(`^(-?)(\\d{1,3}(?:${g}\\d{3})+|\\d+)(?:${d}(\\d+))?$`);
  const match = grouped.exec(compact);
  if (match) {
    const [, sign, whole, fraction] = match;
    return finite(`${sign}${whole!.split(groupIsSpace ? ' ' : group).join('')}${fraction ? `.${fraction}` : ''}`);
  }
  // The other common decimal mark, where it cannot be read as a grouping mark here.
  const other = decimal === ',' ? '.' : ',';
  const plain = new RegExp(`^(-?)(\\d+)${escape(other)}(\\d+)$`).exec(compact);
  if (plain && other !== group) return finite(`${plain[1]}${plain[2]}.${plain[3]}`);
  if (plain && other === group && plain[3]!.length !== 3) return finite(`${plain[1]}${plain[2]}.${plain[3]}`);
  return { ok: false };
}

function finite(canonical: string): ParsedNumber {
  const value = Number(canonical);
  return Number.isFinite(value) ? { ok: true, value } : { ok: false };
}

/** A stored number as the form shows it in `locale`: every digit kept, no grouping (what is shown can be typed back). */
export function formatLocaleNumber(value: number | null, locale: string): string {
  if (value === null) return '';
  return new Intl.NumberFormat(locale, { useGrouping: false, maximumFractionDigits: 20 }).format(value);
}

/** A number for reading (tables): grouped, up to `fractionDigits` decimals. */
export function displayNumber(value: number, locale: string, fractionDigits = 3): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: fractionDigits }).format(value);
}

/** The person's locale: the browser's (Electron passes the system's). */
export function userLocale(): string {
  return typeof navigator !== 'undefined' && navigator.language ? navigator.language : 'en-US';
}
