import { timeZones } from '../labels.js';

/** A text field suggesting IANA zone names; core validates and canonicalises what is typed. */
export function TimeZoneInput(props: { id: string; label: string; value: string; onChange(value: string): void }) {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        list={`${props.id}-zones`}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        autoComplete="off"
      />
      <datalist id={`${props.id}-zones`}>
        {timeZones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    </>
  );
}
