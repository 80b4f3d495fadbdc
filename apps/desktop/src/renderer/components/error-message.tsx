import { describeError } from '../client.js';

/** A failed call, as the user should read it: the message, core's stable code, and each field at fault. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const shown = describeError(error);
  return (
    <div className="error" role="alert">
      <p>
        <strong>{title ?? 'Something went wrong'}:</strong> {shown.message}
        {shown.code && <span className="error-code"> ({shown.code})</span>}
      </p>
      {shown.details.length > 0 && (
        <ul>
          {shown.details.map((d, i) => (
            <li key={i}>{d.path ? `${d.path}: ${d.message}` : d.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
