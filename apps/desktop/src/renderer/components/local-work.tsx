// Work made on this device before the first sign-in, set aside at that
// sign-in: what it is, and the person's choice. Shown on the Server screen
// right after signing in (until decided) and on the Sync screen (until
// brought in or discarded). Nothing of it is sent until "Bring it into…".
import { useEffect, useState } from 'react';
import { api, type LocalWork } from '../client.js';
import { useAction, useLoad } from '../hooks.js';
import { formatBytes } from '../labels.js';
import { plural, useSyncStatus } from '../sync-status.js';
import { ErrorMessage } from './error-message.js';
import './local-work.css';

export function describeCounts(c: { portfolios: number; sites: number; documents: number }): string {
  const parts = [
    c.portfolios > 0 && plural(c.portfolios, 'portfolio', 'portfolios'),
    c.sites > 0 && plural(c.sites, 'site', 'sites'),
    c.documents > 0 && plural(c.documents, 'document', 'documents'),
  ].filter((p): p is string => typeof p === 'string');
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? 'nothing');
}

function WorkList({ work }: { work: LocalWork }) {
  return (
    <ul className="local-work-items" aria-label="Work set aside">
      {work.portfolios.map((p) => (
        <li key={p.id}>
          <span className="local-work-kind">Portfolio</span> {p.name}
        </li>
      ))}
      {work.sites.map((s) => (
        <li key={s.id}>
          <span className="local-work-kind">Site</span> {s.siteName}
          {s.portfolioName && <span className="hint"> (in {s.portfolioName})</span>}
        </li>
      ))}
      {work.documents.map((d) => (
        <li key={d.id}>
          <span className="local-work-kind">Document</span> {d.filename}
          <span className="hint">
            {' '}
            (
            {[d.siteName && `site ${d.siteName}`, formatBytes(d.sizeBytes), d.fileKept ? 'file kept here' : 'file missing: left out']
              .filter(Boolean)
              .join(', ')}
            )
          </span>
        </li>
      ))}
    </ul>
  );
}

/** The choice of organisation and the three actions. */
function Choices({ work, onBrought }: { work: LocalWork; onBrought(message: string): void }) {
  const [target, setTarget] = useState('');
  const [confirming, setConfirming] = useState(false);
  const chosen = work.targets.find((t) => t.organisationId === target) ?? work.targets[0];
  useEffect(() => {
    if (!work.targets.some((t) => t.organisationId === target) && work.targets[0]) setTarget(work.targets[0].organisationId);
  }, [work.targets, target]);
  const bringIn = useAction(async () => {
    if (!chosen) return;
    const done = await api.localWork.bringIn.mutate({ organisationId: chosen.organisationId });
    const left = done.withoutFile.length > 0 ? ` Left out (no file on this device): ${done.withoutFile.join(', ')}.` : '';
    onBrought(`Brought ${describeCounts(done)} into ${chosen.name}: they are sent to the server at the next sync, files included.${left}`);
  });
  const keep = useAction(async () => {
    await api.localWork.keep.mutate();
  });
  const discard = useAction(async () => {
    await api.localWork.discard.mutate();
    setConfirming(false);
  });
  const busy = bringIn.busy || keep.busy || discard.busy;
  return (
    <>
      {work.targets.length > 0 ? (
        <div className="local-work-target">
          <div className="field">
            <label htmlFor="local-work-target">Organisation to bring it into</label>
            <select id="local-work-target" value={chosen?.organisationId ?? ''} onChange={(e) => setTarget(e.target.value)}>
              {work.targets.map((t) => (
                <option key={t.organisationId} value={t.organisationId}>
                  {t.name} ({t.role})
                </option>
              ))}
            </select>
          </div>
        </div>
      ) : work.waitingForOrganisations ? (
        <p className="hint" role="status">
          Waiting for your organisations to arrive from the server…
        </p>
      ) : (
        <p className="hint">Your account may not add work to any of its organisations. Keep it on this device, or discard it.</p>
      )}
      <div className="local-work-actions">
        {chosen && (
          <button type="button" onClick={() => void bringIn.run()} disabled={busy}>
            {bringIn.busy ? 'Bringing it in…' : `Bring it into ${chosen.name}`}
          </button>
        )}
        {work.decision === 'undecided' && (
          <button type="button" className="secondary" onClick={() => void keep.run()} disabled={busy}>
            Keep it on this device
          </button>
        )}
        {!confirming && (
          <button type="button" className="secondary danger" onClick={() => setConfirming(true)} disabled={busy}>
            Discard…
          </button>
        )}
      </div>
      {confirming && (
        <div className="local-work-confirm" role="alertdialog" aria-label="Discard the work made before sign-in">
          <p>
            Discard {describeCounts({ portfolios: work.portfolios.length, sites: work.sites.length, documents: work.documents.length })} for
            good? They are on no server: once discarded, they cannot be brought back
            {work.documents.some((d) => d.fileKept) ? ', and their files are deleted from this device' : ''}.
          </p>
          <div className="local-work-actions">
            <button type="button" className="danger" onClick={() => void discard.run()} disabled={busy}>
              {discard.busy ? 'Discarding…' : 'Discard for good'}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorMessage error={bringIn.error} title="Could not bring the work in" />
      <ErrorMessage error={keep.error} title="Could not keep the work" />
      <ErrorMessage error={discard.error} title="Could not discard the work" />
    </>
  );
}

/**
 * `prompt`: right after sign-in, until the person has chosen; `panel`: on
 * the Sync screen while the work waits here (kept or undecided).
 */
export function LocalWork({ variant }: { variant: 'prompt' | 'panel' }) {
  const { status } = useSyncStatus();
  const summary = status?.setAside ?? null;
  const [brought, setBrought] = useState<string>();
  // The organisations arrive with the first pull: follow the data version and the summary.
  const work = useLoad(
    () => (summary ? api.localWork.get.query() : Promise.resolve(null)),
    [summary?.portfolios, summary?.sites, summary?.documents, summary?.decision, status?.dataVersion],
  );
  if (brought && !summary) {
    return (
      <p className="notice local-work-done" role="status">
        {brought}
      </p>
    );
  }
  if (!summary || (variant === 'prompt' && summary.decision !== 'undecided')) return null;
  const data = work.data;
  return (
    <section className="local-work" aria-labelledby={`local-work-heading-${variant}`}>
      <h3 id={`local-work-heading-${variant}`}>Work made on this device before you signed in</h3>
      <p role="status" aria-label="Work set aside">
        {describeCounts(summary)}. {summary.decision === 'kept' ? 'Kept on this device' : 'Set aside'}, not sent to any server: bring it
        into one of your organisations to sync it, or keep it here for now.
      </p>
      {data && <WorkList work={data} />}
      {data && <Choices work={data} onBrought={setBrought} />}
      <ErrorMessage error={work.error} title="Could not load the work made before sign-in" />
    </section>
  );
}
