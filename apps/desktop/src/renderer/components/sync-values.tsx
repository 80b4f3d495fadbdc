// Values of synced rows as people read them: field labels from labels.ts,
// portfolio names instead of ids, "empty" for a cleared field.
import { fieldLabel } from '../labels.js';

export type PortfolioNames = ReadonlyMap<string, string>;

function text(field: string, value: unknown, portfolios: PortfolioNames): string {
  if (typeof value === 'string' && field === 'portfolioId') return portfolios.get(value) ?? value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** One field's value. */
export function FieldValue({ field, value, portfolios }: { field: string; value: unknown; portfolios: PortfolioNames }) {
  if (value === null || value === undefined || value === '') return <em className="empty-value">empty</em>;
  return <span className="field-value">{text(field, value, portfolios)}</span>;
}

/** Several fields (a refused change, what a delete removed), each with its label. */
export function FieldList({ table, fields, portfolios }: { table: string; fields: Record<string, unknown>; portfolios: PortfolioNames }) {
  const shown = Object.entries(fields);
  if (shown.length === 0) return <em className="empty-value">no fields</em>;
  return (
    <dl className="field-list">
      {shown.map(([field, value]) => (
        <div key={field}>
          <dt>{fieldLabel(table, field)}</dt>
          <dd>
            <FieldValue field={field} value={value} portfolios={portfolios} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
