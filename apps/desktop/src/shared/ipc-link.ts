// A tRPC v11 link over the preload bridge (electron-trpc speaks v10 only).
// Queries and mutations are one invoke each; a subscription is started by an
// invoke and its events arrive as bridge messages carrying its id. Errors
// come back as the router's formatted error shape, so the renderer sees the
// same TRPCClientError (and `data.helioCode`) as over HTTP.
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import type { BridgeErrorShape, HelioBridge } from './bridge.js';

let subscriptionCounter = 0;

export function ipcLink<TRouter extends AnyTRPCRouter>(bridge: HelioBridge): TRPCLink<TRouter> {
  const clientError = (error: BridgeErrorShape) => TRPCClientError.from<TRouter>({ error });
  const transportError = (cause: unknown) => TRPCClientError.from<TRouter>(cause instanceof Error ? cause : new Error(String(cause)));

  return () =>
    ({ op }) =>
      observable((observer) => {
        const { type, path, input } = op;

        if (type !== 'subscription') {
          let cancelled = false;
          bridge.invoke({ kind: 'call', type, path, input }).then(
            (result) => {
              if (cancelled) return;
              if (!result.ok) return observer.error(clientError(result.error));
              observer.next({ result: { type: 'data', data: result.data } });
              observer.complete();
            },
            (cause: unknown) => {
              if (!cancelled) observer.error(transportError(cause));
            },
          );
          // An IPC call cannot be withdrawn once sent; a cancelled one is only ignored.
          return () => {
            cancelled = true;
          };
        }

        const id = `s${++subscriptionCounter}-${op.id}`;
        const stopListening = bridge.onMessage((message) => {
          if (message.kind !== 'subscription' || message.id !== id) return;
          switch (message.event) {
            case 'started':
              observer.next({ result: { type: 'started' } });
              break;
            case 'data':
              observer.next({ result: { type: 'data', data: message.data } });
              break;
            case 'error':
              observer.error(clientError(message.error));
              break;
            case 'stopped':
              observer.next({ result: { type: 'stopped' } });
              observer.complete();
              break;
          }
        });
        bridge.invoke({ kind: 'subscribe', id, path, input }).then(
          (result) => {
            if (!result.ok) observer.error(clientError(result.error));
          },
          (cause: unknown) => observer.error(transportError(cause)),
        );
        return () => {
          stopListening();
          bridge.invoke({ kind: 'unsubscribe', id }).catch(() => {
            // the window is going away; the main process stops its subscriptions then anyway
          });
        };
      });
}
