import { useState, type FormEvent } from 'react';
import { api, type SessionStatus } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { useAction } from '../hooks.js';

export function ConnectScreen({ status }: { status: SessionStatus | undefined }) {
  const [serverUrl, setServerUrl] = useState(status?.serverUrl ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string>();
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
      <p className="hint">
        {status?.mode === 'server'
          ? `Signed in to ${status.serverUrl}.`
          : 'You are working on this device only. Sign in to a Helio server to sync your organisations.'}
        {status && !status.canSignIn && ' Signing in is not available in this build yet.'}
      </p>
      <form onSubmit={submit} aria-label="Sign in">
        <div className="field">
          <label htmlFor="connect-server">Server URL</label>
          <input id="connect-server" type="url" placeholder="https://helio.example.com" value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="connect-email">Email</label>
          <input id="connect-email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="connect-password">Password</label>
          <input id="connect-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </div>
        <button type="submit" disabled={signIn.busy}>
          Sign in
        </button>
        {done && <p role="status">{done}</p>}
        <ErrorMessage error={signIn.error} title="Could not sign in" />
      </form>
    </section>
  );
}
