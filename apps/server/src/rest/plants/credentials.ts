// A plant's credentials and lifecycle actions: provisioning (and its
// download), MQTT tokens, secret rotation, suspension, reactivation and
// revocation. Each answers the spec's 400 message for its action when the
// plant's state does not allow it (lifecycle.ts holds the table).
import { plants } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { plantEnvironment } from '../../plant-environment.js';
import type { AppServices } from '../../services.js';
import { routeErrors } from './errors.js';
import { errorsOf, messageSchema, NO_STORE, pathId, plantIdParams, plantsErrors, TAG } from './shared.js';

/**
 * POST /provision's optional body, as documented; core's provisioning
 * validates the body it is given (the same fields and limits).
 */
const provisionInput = z
  .strictObject({
    csr: z
      .string()
      .max(16_384)
      .optional()
      .describe('MTLS only: a PEM PKCS#10 request (P-256, or RSA of 2048 bits or more); its subject is ignored, the CN is the plant id'),
  })
  .optional();

const topics = z.object({ ack: z.string(), commands: z.string(), status: z.string(), telemetry: z.string() });

/** The provisioning package, as documented; the object core builds is sent as it is. */
const ProvisioningPackage = z
  .object({
    authMethod: z.enum(plants.authMethods),
    mqtt: z
      .object({
        broker: z.string().describe('Host name devices connect to'),
        port: z.number().int().describe('The port for this plant: MQTT over TLS, for every method (see tls, tcpPort)'),
        tlsPort: z.number().int().optional().describe('Helio: MQTT over TLS, open to every method'),
        username: z.string().optional().describe('Helio: the MQTT username, the plant id'),
        clientId: z.string().optional().describe('Helio: the MQTT client id, the plant id'),
        topics,
      })
      .loose(),
    plantId: z.uuid(),
    protocol: z.object({}).loose().describe('Helio: the version, envelope, QoS and formats of the messages'),
    plant: z
      .object({ name: z.string(), serialNumber: z.string(), type: z.string(), templateId: z.uuid().nullable() })
      .optional()
      .describe('Helio: the plant as the device needs it'),
    template: z
      .object({ id: z.uuid(), name: z.string(), version: z.number().int(), signals: z.array(z.unknown()), actions: z.array(z.unknown()) })
      .nullable()
      .optional()
      .describe("Helio: the plant's template, whose signals name the keys its telemetry may carry"),
    security: z
      .object({
        caCert: z.string().describe("PEM of Helio's device CA"),
        clientCert: z.string().optional().describe('MTLS: the PEM client certificate'),
        clientKey: z.string().optional().describe('MTLS: the PEM private key (absent when the certificate was issued from a CSR)'),
        hmacSecret: z.string().describe('Signs telemetry, status and ack messages; shown once'),
        password: z.string().optional().describe('PASSWORD: the MQTT password, shown once'),
        token: z.string().optional().describe('TOKEN: an MQTT JWT'),
        tokenExpiresAt: z.string().optional(),
      })
      .loose(),
  })
  .loose()
  .meta({ id: 'ProvisioningPackage' });

const MqttToken = z.object({ expiresAt: z.iso.datetime({ offset: true }), token: z.string() }).meta({ id: 'MqttToken' });
const RotatedSecret = z.object({ gracePeriodMinutes: z.number().int(), hmacSecret: z.string() }).meta({ id: 'RotatedSecret' });

const refused = (message: string) => ({
  400: `The id is not a UUID, or the plant's state does not allow this: BAD_REQUEST "${message}"`,
  404: 'Missing, decommissioned or another organisation\'s plant: PLANT_NOT_FOUND "Plant not found"',
});
const adminsOnly = 'Admins and owners.';

/** The OpenAPI entries of the routes below. */
export const credentialOperations = {
  mqttToken: {
    method: 'post',
    path: '/api/v1/plants/{id}/mqtt-token',
    tag: TAG,
    summary: 'Issue a new MQTT JWT for a TOKEN-auth plant',
    description: `A provisioned or active TOKEN plant only. The JWT (HS256, \`sub\` = plant id, \`aud\` helio-mqtt, valid 24 h) is the MQTT password; the username and client id are the plant id. ${adminsOnly}`,
    auth: 'credentials',
    params: plantIdParams,
    responses: {
      200: { description: 'The token', schema: MqttToken },
      ...plantsErrors(refused(routeErrors.mqttToken.badRequest.message)),
    },
  },
  provision: {
    method: 'post',
    path: '/api/v1/plants/{id}/provision',
    tag: TAG,
    summary: 'Generate provisioning package for a plant',
    description: `Issues new credentials and returns them once: a new HMAC secret for every method; MTLS a new client certificate (from the optional \`csr\`, else with a key Helio generates), retiring the previous one; PASSWORD a new password; TOKEN a token. A PENDING or REVOKED plant becomes PROVISIONED; an active plant stays ACTIVE (a renewal). ${adminsOnly}`,
    auth: 'credentials',
    params: plantIdParams,
    body: provisionInput,
    responses: {
      200: { description: 'The package (secrets shown once)', schema: ProvisioningPackage },
      ...plantsErrors(refused(routeErrors.provision.badRequest.message)),
    },
  },
  download: {
    method: 'get',
    path: '/api/v1/plants/{id}/provision/download',
    tag: TAG,
    summary: 'Download provisioning package as JSON file',
    description: `Provisions the plant as POST /provision does (new credentials; the previous ones stop working) and answers the package as an attachment, \`plant-<id>-provisioning.json\`. ${adminsOnly}`,
    auth: 'credentials',
    params: plantIdParams,
    responses: {
      200: { description: 'The package, as an attachment', schema: ProvisioningPackage },
      ...plantsErrors(refused(routeErrors.provision.badRequest.message)),
    },
  },
  reactivate: {
    method: 'post',
    path: '/api/v1/plants/{id}/reactivate',
    tag: TAG,
    summary: 'Reactivate a suspended plant',
    description: `SUSPENDED only: back to ACTIVE if it ever connected, else PROVISIONED. ${adminsOnly}`,
    auth: 'credentials',
    params: plantIdParams,
    responses: {
      200: { description: 'Reactivated', schema: messageSchema },
      ...plantsErrors(refused(routeErrors.reactivate.badRequest.message)),
    },
  },
  revoke: {
    method: 'post',
    path: '/api/v1/plants/{id}/revoke',
    tag: TAG,
    summary: 'Revoke plant certificate and HMAC secret',
    description: `The certificate is revoked, the HMAC secret and password cleared, issued tokens refused; a connected plant is disconnected within 5 seconds. REVOKED: provisioning again is the way back. ${adminsOnly}`,
    auth: 'credentials',
    params: plantIdParams,
    responses: { 200: { description: 'Revoked', schema: messageSchema }, ...plantsErrors(refused(routeErrors.revoke.badRequest.message)) },
  },
  rotateSecret: {
    method: 'post',
    path: '/api/v1/plants/{id}/rotate-secret',
    tag: TAG,
    summary: 'Rotate plant HMAC secret (1h grace period for both old and new)',
    description: `A new HMAC secret, shown once; the old one is still accepted for \`gracePeriodMinutes\` (60). PROVISIONED, ACTIVE or SUSPENDED plants. ${adminsOnly}`,
    auth: 'credentials',
    params: plantIdParams,
    responses: {
      200: { description: 'The new secret', schema: RotatedSecret },
      ...plantsErrors(refused(routeErrors.rotateSecret.badRequest.message)),
    },
  },
  suspend: {
    method: 'post',
    path: '/api/v1/plants/{id}/suspend',
    tag: TAG,
    summary: 'Suspend a plant (temporary disable)',
    description: `PROVISIONED or ACTIVE plants: refused at connect, disconnected within 5 seconds if connected; \`reactivate\` undoes it. ${adminsOnly}`,
    auth: 'credentials',
    params: plantIdParams,
    responses: {
      200: { description: 'Suspended', schema: messageSchema },
      ...plantsErrors(refused(routeErrors.suspend.badRequest.message)),
    },
  },
} satisfies Record<string, OperationDoc>;

export function credentialRoutes(app: FastifyInstance, services: AppServices): void {
  const env = () => plantEnvironment(services);

  app.post('/plants/:id/mqtt-token', errorsOf(routeErrors.mqttToken), async (req, reply) => {
    const id = pathId(req);
    return reply.header('cache-control', NO_STORE).send(await plants.issueMqttToken(req.ctx, await env(), id));
  });

  app.post('/plants/:id/provision', errorsOf(routeErrors.provision), async (req, reply) => {
    const id = pathId(req);
    return reply.header('cache-control', NO_STORE).send(await plants.provisionPlant(req.ctx, await env(), id, req.body));
  });

  // A download issues new credentials (there is no earlier package to give again): a HEAD, which Fastify would
  // otherwise answer for every GET, must not replace a working device's credentials and throw the new ones away.
  app.get('/plants/:id/provision/download', { ...errorsOf(routeErrors.provision), exposeHeadRoute: false }, async (req, reply) => {
    const id = pathId(req);
    const pkg = await plants.provisionPlant(req.ctx, await env(), id);
    return reply
      .header('cache-control', NO_STORE)
      .header('content-disposition', `attachment; filename="plant-${id}-provisioning.json"`)
      .type('application/json; charset=utf-8')
      .send(`${JSON.stringify(pkg, null, 2)}\n`);
  });

  app.post('/plants/:id/suspend', errorsOf(routeErrors.suspend), (req) => plants.suspendPlant(req.ctx, pathId(req)));

  app.post('/plants/:id/reactivate', errorsOf(routeErrors.reactivate), (req) => plants.reactivatePlant(req.ctx, pathId(req)));

  app.post('/plants/:id/revoke', errorsOf(routeErrors.revoke), async (req) => {
    const id = pathId(req);
    return plants.revokePlant(req.ctx, await env(), id);
  });

  app.post('/plants/:id/rotate-secret', errorsOf(routeErrors.rotateSecret), async (req, reply) => {
    const id = pathId(req);
    return reply.header('cache-control', NO_STORE).send(await plants.rotateSecret(req.ctx, await env(), id));
  });
}
