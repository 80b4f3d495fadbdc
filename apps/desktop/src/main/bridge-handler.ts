// Runs bridge requests against a tRPC router: the main-process end of the
// renderer's ipcLink. It knows nothing of Electron, so tests drive it
// directly; ipc.ts connects it to ipcMain.
import { callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown, TRPCError, type AnyTRPCRouter } from '@trpc/server';
import { z } from 'zod';
import type { BridgeErrorShape, BridgeMessage, BridgeRequest, BridgeResult, ProcedureType } from '../shared/bridge.js';

// The renderer is not trusted: its requests are parsed like any other input.
const bridgeRequest = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('call'), type: z.enum(['query', 'mutation']), path: z.string().max(200), input: z.unknown() }),
  z.strictObject({ kind: z.literal('subscribe'), id: z.string().min(1).max(100), path: z.string().max(200), input: z.unknown() }),
  z.strictObject({ kind: z.literal('unsubscribe'), id: z.string().min(1).max(100) }),
]) satisfies z.ZodType<BridgeRequest>;

export interface BridgeHandler {
  /** Answers one request; subscription events go to `send`. */
  handle(request: unknown): Promise<BridgeResult>;
  /** Stops every subscription (the window closed or reloaded). */
  stopAll(): void;
}

export function createBridgeHandler<TRouter extends AnyTRPCRouter>(options: {
  router: TRouter;
  createContext: () => unknown;
  send: (message: BridgeMessage) => void;
  /** Where unexpected failures are logged with their stack (default: console.error). */
  log?: (message: string, cause: unknown) => void;
}): BridgeHandler {
  const { router, send } = options;
  const subscriptions = new Map<string, AbortController>();

  function errorShape(
    cause: unknown,
    type: ProcedureType | 'unknown',
    path: string | undefined,
    input: unknown,
    ctx: unknown,
  ): BridgeErrorShape {
    const error = getTRPCErrorFromUnknown(cause);
    // The renderer gets the code and message only (core's formatter): the cause and its stack go to the log.
    if (error.code === 'INTERNAL_SERVER_ERROR')
      (options.log ?? console.error)(`helio desktop: ${path ?? 'request'} failed`, error.cause ?? error);
    return getErrorShape({ config: router._def._config, error, type, path, input, ctx }) as BridgeErrorShape;
  }

  async function call(type: ProcedureType, path: string, input: unknown, signal: AbortSignal | undefined): Promise<BridgeResult> {
    let ctx: unknown;
    try {
      ctx = await options.createContext();
      return {
        ok: true,
        data: await callTRPCProcedure({ router, path, getRawInput: async () => input, ctx, type, signal, batchIndex: 0 }),
      };
    } catch (cause) {
      return { ok: false, error: errorShape(cause, type, path, input, ctx) };
    }
  }

  async function runSubscription(id: string, path: string, input: unknown, controller: AbortController): Promise<void> {
    const fail = (error: BridgeErrorShape) => {
      if (!controller.signal.aborted) send({ kind: 'subscription', id, event: 'error', error });
    };
    try {
      const result = await call('subscription', path, input, controller.signal);
      if (!result.ok) return fail(result.error);
      const events = result.data as AsyncIterable<unknown> | null;
      if (typeof events?.[Symbol.asyncIterator] !== 'function') {
        return fail(errorShape(new Error(`subscription ${path} did not return an async iterable`), 'subscription', path, input, undefined));
      }
      send({ kind: 'subscription', id, event: 'started' });
      for await (const value of events) {
        if (controller.signal.aborted) break;
        send({ kind: 'subscription', id, event: 'data', data: value });
      }
    } catch (cause) {
      fail(errorShape(cause, 'subscription', path, input, undefined));
    } finally {
      if (subscriptions.get(id) === controller) subscriptions.delete(id);
      send({ kind: 'subscription', id, event: 'stopped' });
    }
  }

  const refuse = (message: string): BridgeResult => ({
    ok: false,
    error: errorShape(new TRPCError({ code: 'BAD_REQUEST', message }), 'unknown', undefined, undefined, undefined),
  });

  return {
    async handle(raw) {
      const parsed = bridgeRequest.safeParse(raw);
      if (!parsed.success) {
        return refuse(`malformed bridge request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      }
      const request = parsed.data;
      switch (request.kind) {
        case 'call':
          return call(request.type, request.path, request.input, undefined);
        case 'subscribe': {
          if (subscriptions.has(request.id)) {
            return refuse(`subscription ${request.id} is already running`);
          }
          const controller = new AbortController();
          subscriptions.set(request.id, controller);
          void runSubscription(request.id, request.path, request.input, controller);
          return { ok: true, data: null };
        }
        case 'unsubscribe':
          subscriptions.get(request.id)?.abort();
          subscriptions.delete(request.id);
          return { ok: true, data: null };
      }
    },
    stopAll() {
      for (const controller of subscriptions.values()) controller.abort();
      subscriptions.clear();
    },
  };
}
