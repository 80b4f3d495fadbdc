import type * as FastifyModule from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';
import { undocumentedRoutes } from './operations.js';

const registeredRoutes = vi.hoisted(() => [] as { method: string; url: string }[]);

// Sees every route the app registers, whichever plugin adds it: an onRoute
// hook only catches routes added after it, so it goes on at creation.
vi.mock('fastify', async (importOriginal) => {
  const fastify = await importOriginal<typeof FastifyModule>();
  const observed = (options?: FastifyModule.FastifyServerOptions) => {
    const app = fastify.default(options);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registeredRoutes.push({ method, url: route.url });
    });
    return app;
  };
  return { ...fastify, default: observed };
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('pglite');
});
afterAll(() => t.close());

describe('OpenAPI document and docs', () => {
  it('serves an OpenAPI 3 document describing the Alentis API from the zod schemas', async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/sites',
        '/api/sites/{id}',
        '/api/portfolios',
        '/api/portfolios/with-sites',
        '/api/portfolios/{id}/sites',
        '/oauth/token',
      ]),
    );
    const site = doc.components.schemas.Site;
    expect(Object.keys(site.properties)).toEqual(
      expect.arrayContaining([
        'id',
        'siteName',
        'address',
        'capacity',
        'unit',
        'latitude',
        'longitude',
        'portfolioId',
        'siteManager',
        'coverImageUrl',
        'timezone',
      ]),
    );
    expect(doc.paths['/api/sites'].post.requestBody.content['application/json'].schema.required).toEqual(['siteName']);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
  });

  it('serves the interactive docs page without reaching the internet', async () => {
    const page = await t.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
    expect(page.body).not.toMatch(/https?:\/\/(?!localhost)[a-z0-9.-]+\.(com|net|org|io)\//i);
    const init = await t.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
  });
});

describe('OpenAPI coverage of the registered routes', () => {
  const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

  /**
   * `GET /api/sites/:id` for every registered route, leaving out the HEAD routes
   * fastify adds beside GET ones (for a GET at a prefix's root, fastify reports
   * only the prefix itself, but the HEAD at the prefix with a slash as well).
   */
  function registered(): string[] {
    const keys = new Set(registeredRoutes.map((r) => `${r.method} ${r.url}`));
    const hasGet = (url: string) => keys.has(`GET ${url}`) || keys.has(`GET ${url.replace(/(.)\/$/, '$1')}`);
    return [...keys].filter((key) => !(key.startsWith('HEAD ') && hasGet(key.slice('HEAD '.length))));
  }

  /** `GET /api/sites/:id` for every operation of the served document. */
  async function documented(): Promise<string[]> {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    return Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => httpMethods.includes(key))
        .map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
    );
  }

  function listedUndocumented(key: string) {
    const [method, url] = key.split(' ') as [string, string];
    return undocumentedRoutes.filter(
      (r) => (r.method === '*' || r.method === method) && (r.url === url || (r.andBelow && url.startsWith(`${r.url}/`))),
    );
  }

  it('documents every registered route or lists it as undocumented with a reason', async () => {
    const inDocument = new Set(await documented());
    const missing = registered().filter((key) => !inDocument.has(key) && listedUndocumented(key).length === 0);
    expect(missing, 'declare an OpenAPI entry beside the route, or list the route in openapi/operations.ts with a reason').toEqual([]);
  });

  it('serves a registered route for every documented operation', async () => {
    const routes = new Set(registered());
    const withoutRoute = (await documented()).filter((key) => !routes.has(key));
    expect(withoutRoute, 'the path or method of these entries matches no route').toEqual([]);
  });

  it('lists as undocumented only registered routes that the document leaves out', async () => {
    const routes = registered();
    const inDocument = new Set(await documented());
    const stale = undocumentedRoutes.flatMap((listing) => {
      const name = `${listing.method} ${listing.url}`;
      const matched = routes.filter((key) => listedUndocumented(key).includes(listing));
      if (listing.reason.trim() === '') return [`${name} gives no reason`];
      if (matched.length === 0) return [`${name} matches no route`];
      return matched.filter((key) => inDocument.has(key)).map((key) => `${name} takes in ${key}, which is documented`);
    });
    expect(stale).toEqual([]);
  });
});
