import { alerts, alertSchemas, parseId } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { commonErrors, type OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';

const componentParams = z.object({ componentId: z.uuid().describe('The component (a device, not a conceptual node)') });
const DeviceEvent = alertSchemas.deviceEvent.meta({ id: 'DeviceEvent' });
const DeviceEvents = alertSchemas.deviceEventsBody.meta({ id: 'DeviceEvents' });
const Alert = alertSchemas.alert.meta({ id: 'Alert' });
const RecordedEvents = alertSchemas.recordEventsResult.extend({ alerts: z.array(Alert) }).meta({ id: 'RecordedEvents' });

/** The OpenAPI entries of the routes below. */
export const eventOperations = {
  record: {
    method: 'post',
    path: '/api/components/{componentId}/events',
    tag: 'Alentis',
    summary: "Report a device's faults (Device Fault alerts)",
    description: [
      'One event `{ts, code, state, priority?, descriptionShort?, descriptionLong?}`, or up to 1000 under `events`.',
      '`ts` is ISO-8601 with an offset, at most an hour ahead of the server. An `active` event opens a Device Fault alert for its `code`',
      '(priority High, Medium or Low, any case; Medium when left out), or changes the open one when it brings a new priority or description;',
      'a `cleared` event with the same code closes it at `ts`. Events are applied in `ts` order; one older than the newest already received',
      "for its code is kept but changes nothing (`outOfOrder`). Every event is kept in the component's history, also when the site has",
      'Device Fault alerts switched off. All or nothing: one bad event refuses the request and nothing is written. Role technician or above.',
    ].join(' '),
    auth: 'credentials',
    params: componentParams,
    body: z.union([DeviceEvent, DeviceEvents]),
    responses: { 200: { description: 'What the events did', schema: RecordedEvents }, ...commonErrors([413]) },
  },
} satisfies Record<string, OperationDoc>;

export function eventRoutes(app: FastifyInstance, _services: AppServices): void {
  app.post<{ Params: { componentId: string } }>('/components/:componentId/events', (req) =>
    alerts.recordEvents(req.ctx, parseId(req.params.componentId, 'componentId'), req.body),
  );
}
