import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';

describe('OpenAPI document and docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  });
  afterAll(() => t.close());

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
