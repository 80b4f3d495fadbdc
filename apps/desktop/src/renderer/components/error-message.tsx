import { describeError } from '../client.js';

/** `patch.siteManager` → "Site manager": the last part of core's field path, in words. */
export function fieldWords(path: string): string {
  const last =
    path
      .split('.')
      .filter((p) => !/^\d+$/.test(p))
      .pop() ?? path;
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A failed call, as the person should read it: what went wrong and, for
 * refused input, each field in words with what is wrong with it. Core's
 * stable code stays available (small, for support) except on refused
 * input, where the field list says it all.
 */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const shown = describeError(error);
  const fields = shown.details.filter((d) => d.message);
  const refusedInput = shown.code === 'VALIDATION_ERROR' && fields.length > 0;
  return (
    <div className="error" role="alert">
      <p>
        <strong>{title ?? 'Something went wrong'}:</strong> {refusedInput ? 'some of what was entered cannot be saved.' : shown.message}
        {shown.code && !refusedInput && <span className="error-code"> ({shown.code})</span>}
      </p>
      {fields.length > 0 && (
        <ul>
          {fields.map((d, i) => (
            <li key={i}>{d.path ? `${fieldWords(d.path)}: ${d.message}` : d.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
