import { z } from 'zod';
import { validationError, type DomainError, type ErrorDetail } from './errors.js';

function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message, issue: issue.code }));
}

/** VALIDATION_ERROR naming every bad field, summarised in the message. */
function invalidFields(details: ErrorDetail[]): DomainError {
  const summary = details
    .slice(0, 3)
    .map((d) => (d.path ? `${d.path}: ${d.message}` : d.message))
    .join('; ');
  return validationError(`invalid input: ${summary}${details.length > 3 ? `; and ${details.length - 3} more` : ''}`, details);
}

/** VALIDATION_ERROR naming every bad field of a failed parse. */
export function invalidInput(error: z.ZodError): DomainError {
  return invalidFields(zodDetails(error));
}

const NUL = '\u0000';

/**
 * Every string (and object key) in `value` that holds a NUL character, by
 * path. PostgreSQL stores no NUL in text or jsonb, so such input is refused
 * as invalid rather than failing in the database. Bytes (Buffer, Uint8Array)
 * are not text and may hold any value. Objects are walked whatever their
 * prototype: parsed query strings have a prototype of their own.
 */
export function nulCharacterDetails(value: unknown): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const seen = new WeakSet<object>();
  const visit = (v: unknown, path: PropertyKey[]): void => {
    if (typeof v === 'string') {
      if (v.includes(NUL))
        details.push({ path: issuePath(path), message: 'must not contain the NUL character (U+0000)', issue: 'nul_character' });
      return;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, [...path, i]));
    } else if (!ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes(NUL)) {
          const shown = key.replaceAll(NUL, '\\u0000');
          details.push({
            path: issuePath([...path, shown]),
            message: 'a field name must not contain the NUL character (U+0000)',
            issue: 'nul_character',
          });
        } else {
          visit(item, [...path, key]);
        }
      }
    }
  };
  visit(value, []);
  return details;
}

/** Throws VALIDATION_ERROR naming every field of `value` that holds a NUL character. */
export function refuseNulCharacters(value: unknown): void {
  const details = nulCharacterDetails(value);
  if (details.length > 0) throw invalidFields(details);
}

/**
 * Parses `input` with `schema`, or throws VALIDATION_ERROR naming every bad
 * field. Every service's input passes here, from every transport (REST,
 * OAuth forms, tRPC, sync, the CLI), so this is also where text no database
 * column can hold (a NUL character) is refused, in any field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const nul = nulCharacterDetails(input);
  const result = schema.safeParse(input);
  if (result.success && nul.length === 0) return result.data;
  // A field with a NUL is named once, for the NUL, whatever else the schema says of it.
  const nulPaths = new Set(nul.map((d) => d.path));
  const schemaDetails = result.success ? [] : zodDetails(result.error).filter((d) => !nulPaths.has(d.path));
  throw invalidFields([...nul, ...schemaDetails]);
}

const uuid = z.uuid();

/** Validates an id from a path or argument; a malformed id is a 400, never a database error. */
export function parseId(value: unknown, field = 'id'): string {
  const result = uuid.safeParse(value);
  if (result.success) return result.data;
  throw validationError(`${field} must be a UUID`, [{ path: field, message: 'must be a UUID' }]);
}
