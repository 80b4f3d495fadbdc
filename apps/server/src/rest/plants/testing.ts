// Fixtures for the Plants API tests: requests as a tenant's role, and plants.
import type { Role } from '@helio/core';
import { expect } from 'vitest';
import type { InjectResponse, TestApp, TestTenant } from '../../testing.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
export type Call = (method: Method, url: string, payload?: unknown, headers?: Record<string, string>) => Promise<InjectResponse>;
export type Json = Record<string, unknown>;

/** Requests to /api/v1 with a tenant's API key of `role` (no key at all with `null`). */
export function caller(t: TestApp, tenant: TestTenant | null, role: Role = 'admin'): Call {
  const auth: Record<string, string> = tenant ? { 'x-api-key': tenant.keys[role] } : {};
  return (method, url, payload, headers = {}) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...auth, ...headers },
      ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as object }),
    });
}

let serial = 0;

/** A serial number no other test has used (serials are unique among the live plants of an organisation). */
export function nextSerial(prefix = 'SN'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++serial}`;
}

/** Creates a plant (201) and returns it. */
export async function createPlant(call: Call, body: Json = {}): Promise<Json & { id: string }> {
  const res = await call('POST', '/plants', { name: 'Roof logger', serialNumber: nextSerial(), type: 'GATEWAY', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** The Plants API error body, as the spec gives it. */
export function plantsError(statusCode: number, code: string, message: string, details: Json = {}) {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    500: 'Internal Server Error',
  };
  return { statusCode, error: reasons[statusCode], message, code, details };
}

export const PLANT_NOT_FOUND = plantsError(404, 'PLANT_NOT_FOUND', 'Plant not found');
