// The signed-in session as the renderer sees it, shared by every screen:
// who is signed in, and what each organisation's role lets them change.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, type SessionStatus } from './client.js';

interface SessionState {
  status: SessionStatus | undefined;
  error: unknown;
}

const SessionContext = createContext<SessionState>({ status: undefined, error: undefined });

/** Keeps the session current by the main process's subscription (sign-in, memberships pulled by sync). */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: undefined, error: undefined });
  useEffect(() => {
    const subscription = api.session.watch.subscribe(undefined, {
      onData: (status) => setState({ status, error: undefined }),
      onError: (error) => setState((s) => ({ ...s, error })),
    });
    return () => subscription.unsubscribe();
  }, []);
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}

/** The roles that may change assets and documents (core's `write` action). */
const writers = new Set(['owner', 'admin', 'technician']);

/**
 * Whether the signed-in person may change things in an organisation. False
 * while the session is loading, so a form shows read-only rather than
 * editable-then-refused.
 */
export function useCanWrite(organisationId: string | null | undefined): boolean {
  const { status } = useSession();
  const role = status?.memberships.find((m) => m.organisationId === organisationId)?.role;
  return role !== undefined && writers.has(role);
}

/** The signed-in role in an organisation, for "You are a viewer here" hints. */
export function useRole(organisationId: string | null | undefined): string | undefined {
  return useSession().status?.memberships.find((m) => m.organisationId === organisationId)?.role;
}
