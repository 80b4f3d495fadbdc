import { useEffect, useState, type FormEvent } from 'react';
import { api, type SessionStatus } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { LocalWork } from '../components/local-work.js';
import { useAction } from '../hooks.js';
import { connectionLabels, plural, useSyncStatus } from '../sync-status.js';

/** Who is signed in where, and how sync stands: the first thing to check when changes do not arrive. */
function SessionFacts({ status }: { status: SessionStatus | undefined }) {
  const sync = useSyncStatus().status;
  if (status?.mode !== 'server') {
    return <p className="hint">You are working on this device only. Sign in to a Helio server to sync your organisations.</p>;
  }
  const signedOut = sync?.connection === 'signInRequired';
  const account = status.account;
  return (
    <dl className="facts">
      <dt>Server</dt>
      <dd>
        {signedOut ? 'Not signed in to' : 'Signed in to'} {status.serverUrl}
      </dd>
      <dt>{signedOut ? 'Last signed in as' : 'Signed in as'}</dt>
      <dd aria-label="Account">
        {account ? (
          <>
            {account.name && <strong>{account.name}</strong>} {account.name ? `(${account.email})` : account.email}
          </>
        ) : (
          <span className="hint">this device does not know the account’s name: sign in again to show it</span>
        )}
        {sync && !signedOut && <SignOut pending={sync.pending} />}
      </dd>
      <dt>Organisations</dt>
      <dd>{plural(status.memberships.length, 'organisation', 'organisations')}</dd>
      <dt>Sync</dt>
      <dd>
        {sync ? connectionLabels[sync.connection] : '…'}
        {sync?.connection === 'signInRequired' &&
          (sync.lastError?.code === 'SIGNED_OUT'
            ? ': you signed out on this device. Sign in again below to sync; nothing saved here is lost.'
            : ': the server no longer accepts this device’s sign-in. Sign in again below; nothing saved here is lost.')}
        {sync && sync.pending > 0 && ` · ${plural(sync.pending, 'pending change', 'pending changes')}`}
        {' · '}
        <a href="#/sync">Open the sync panel</a>
      </dd>
    </dl>
  );
}

/** Stops syncing and forgets the sign-in on this device; the data and unsent changes stay. */
function SignOut({ pending }: { pending: number }) {
  const signOut = useAction(async () => {
    await api.session.signOut.mutate();
  });
  return (
    <div className="sign-out">
      <button type="button" className="secondary" onClick={() => void signOut.run()} disabled={signOut.busy}>
        {signOut.busy ? 'Signing out…' : 'Sign out'}
      </button>
      <p className="hint">
        {pending > 0
          ? `${plural(pending, 'change', 'changes')} not sent yet stay on this device and are sent when you sign in again with this account.`
          : 'Everything is stored on this device; syncing stops until you sign in again.'}
      </p>
      <ErrorMessage error={signOut.error} title="Could not sign out" />
    </div>
  );
}

export function ConnectScreen({ status }: { status: SessionStatus | undefined }) {
  const [serverUrl, setServerUrl] = useState(status?.serverUrl ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string>();
  // The session arrives by subscription, possibly after the first render.
  const knownServer = status?.serverUrl;
  const knownEmail = status?.account?.email;
  useEffect(() => {
    if (knownServer) setServerUrl((typed) => typed || knownServer);
  }, [knownServer]);
  useEffect(() => {
    if (knownEmail) setEmail((typed) => typed || knownEmail);
  }, [knownEmail]);
  const signIn = useAction(async () => {
    setDone(undefined);
    const next = await api.session.signIn.mutate({ serverUrl, email, password });
    setPassword('');
    setDone(`Signed in to ${next.serverUrl ?? serverUrl}.`);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signIn.run();
  };

  return (
    <section className="panel connect" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect to a server</h2>
      <SessionFacts status={status} />
      <LocalWork variant="prompt" />
      <form onSubmit={submit} aria-label="Sign in">
        <h3>{status?.mode === 'server' ? 'Sign in again or to another server' : 'Sign in'}</h3>
        <div className="field">
          <label htmlFor="connect-server">Server URL</label>
          <input
            id="connect-server"
            type="url"
            placeholder="https://helio.example.com"
            value={serverUrl}
            onChange={(e) => setServerUrl(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor="connect-email">Email</label>
          <input
            id="connect-email"
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor="connect-password">Password</label>
          <input
            id="connect-password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </div>
        <button type="submit" disabled={signIn.busy}>
          {signIn.busy ? 'Signing in…' : 'Sign in'}
        </button>
        {done && <p role="status">{done}</p>}
        <ErrorMessage error={signIn.error} title="Could not sign in" />
      </form>
    </section>
  );
}
