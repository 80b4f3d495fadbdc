import { useState } from 'react';
import { useAction } from '../hooks.js';
import { ErrorMessage } from './error-message.js';

/** A destructive action asked twice: the button opens a question with the consequences, and only its own button acts. */
export function ConfirmButton(props: {
  label: string;
  question: string;
  confirmLabel: string;
  onConfirm(): Promise<void>;
  errorTitle: string;
  className?: string;
  /** The opening button's accessible name, when its short label needs its context ("Remove" → "Remove Inverter 1"). */
  buttonName?: string;
}) {
  const [asking, setAsking] = useState(false);
  const action = useAction(async () => {
    await props.onConfirm();
    setAsking(false);
  });
  return (
    <div className={`confirm ${props.className ?? ''}`}>
      {asking ? (
        <div className="confirm-question" role="alertdialog" aria-label={props.buttonName ?? props.label}>
          <p>{props.question}</p>
          <button type="button" className="danger" disabled={action.busy} onClick={() => void action.run()}>
            {props.confirmLabel}
          </button>
          <button type="button" className="secondary" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="secondary danger-outline" aria-label={props.buttonName} onClick={() => setAsking(true)}>
          {props.label}
        </button>
      )}
      <ErrorMessage error={action.error} title={props.errorTitle} />
    </div>
  );
}
