/**
 * Yields once per burst of changes announced through `subscribe` (a function
 * registering a listener and returning its removal), until `signal` aborts:
 * a subscription then sends the state as it is now, never a backlog.
 */
export async function* burstsOf(subscribe: (listener: () => void) => () => void, signal: AbortSignal | undefined): AsyncGenerator<void> {
  let changed = false;
  let wake: (() => void) | undefined;
  const stop = subscribe(() => {
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      if (!changed) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (signal?.aborted) return;
      changed = false;
      yield;
    }
  } finally {
    stop();
    signal?.removeEventListener('abort', onAbort);
  }
}
