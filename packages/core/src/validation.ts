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

/** VALIDATION_ERROR naming every bad field of a failed parse. */
export function invalidInput(error: z.ZodError): DomainError {
  const details = zodDetails(error);
  const summary = details
    .slice(0, 3)
    .map((d) => (d.path ? `${d.path}: ${d.message}` : d.message))
    .join('; ');
  return validationError(`invalid input: ${summary}${details.length > 3 ? `; and ${details.length - 3} more` : ''}`, details);
}

/** Parses `input` with `schema`, or throws VALIDATION_ERROR naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(result.error);
}

const uuid = z.uuid();

/** Validates an id from a path or argument; a malformed id is a 400, never a database error. */
export function parseId(value: unknown, field = 'id'): string {
  const result = uuid.safeParse(value);
  if (result.success) return result.data;
  throw validationError(`${field} must be a UUID`, [{ path: field, message: 'must be a UUID' }]);
}
