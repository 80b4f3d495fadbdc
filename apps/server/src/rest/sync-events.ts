import { sync } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorBodySchema, type OperationDoc } from '../openapi/describe.js';
import type { AppServices } from '../services.js';
import { authenticate } from './auth.js';

/**
 * Comment lines keep idle proxies from closing the stream, and tell the
 * client the line is alive: it counts a stream silent for two beats as dead
 * and reads offline, so the beat is short. `ready` announces it.
 */
const HEARTBEAT_MS = 5_000;

/** The OpenAPI entry of the route below. */
export const syncEventOperations = {
  events: {
    method: 'get',
    path: '/sync/events',
    tag: 'Sync',
    summary: 'Change notifications (server-sent events)',
    description:
      'A `text/event-stream` for a signed-in user: `event: ready` once, with data `{"heartbeatMs"}`, then ' +
      '`event: change` with data `{"organisationId", "changeSeq"}` whenever one of their organisations commits a ' +
      'change, so the client pulls (tRPC `sync.pull`) at once. A comment line every `heartbeatMs` (5 s) keeps the ' +
      'stream alive; a client may count two missed beats as a dead line.',
    auth: 'credentials',
    responses: {
      200: { description: 'The event stream', schema: z.string(), contentType: 'text/event-stream' },
      401: { description: 'Missing or invalid credentials', schema: errorBodySchema },
    },
  },
} satisfies Record<string, OperationDoc>;

/**
 * GET /sync/events: a server-sent event stream telling a signed-in client
 * that one of its organisations changed (`event: change`, data
 * `{"organisationId", "changeSeq"}`), so it pulls at once.
 */
export function syncEventRoutes(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    const feed = new sync.ChangeFeed(services.db);
    await feed.start();
    const open = new Set<() => void>();
    // Streams never go idle, so the server would wait on them forever: end them before it closes.
    app.addHook('preClose', async () => {
      for (const end of [...open]) end();
    });
    app.addHook('onClose', () => feed.close());

    app.get('/sync/events', async (request, reply) => {
      const principal = await authenticate(request, services);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (text: string) => {
        if (!res.writableEnded) res.write(text);
      };
      send(`event: ready\ndata: ${JSON.stringify({ heartbeatMs: HEARTBEAT_MS })}\n\n`);
      const unsubscribe = feed.subscribe(principal, (notice) => send(`event: change\ndata: ${JSON.stringify(notice)}\n\n`));
      const heartbeat = setInterval(() => send(': keep-alive\n\n'), HEARTBEAT_MS);
      const end = () => {
        open.delete(end);
        clearInterval(heartbeat);
        unsubscribe();
        if (!res.writableEnded) res.end();
      };
      open.add(end);
      request.raw.once('close', end);
    });
  };
}
