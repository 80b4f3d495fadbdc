// The site page's monitoring sections in Chromium, against a real Helio
// server fed through its real ingest endpoint: the component tree edited
// offline and synced, an alert raised on the server and acknowledged offline,
// and the charts drawn from the server's aggregates, still shown (with when
// they were fetched) once the server is gone. One signed-in desktop serves the
// whole file: the tests follow one another on the same site, as a technician's
// day would.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, signInHost, startHost, startNetworkLine, type Tenant } from './desktop-fixtures.js';
import { createSiteByRest, desktopSuite, SYNCED, syncIndicator, text, type Desktop } from './desktop-session.js';

const suite = desktopSuite();

const MINUTE = 60_000;
/** Where the site is: the zone whose wall clock is nearest 14:00 now, so "today" has hours of daylight readings behind it. */
const candidateZones = [
  { tz: 'Pacific/Kiritimati', latitude: 1.87, longitude: -157.4 },
  { tz: 'Pacific/Auckland', latitude: -36.85, longitude: 174.76 },
  { tz: 'Asia/Tokyo', latitude: 35.68, longitude: 139.69 },
  { tz: 'Asia/Kolkata', latitude: 28.61, longitude: 77.21 },
  { tz: 'Asia/Dubai', latitude: 25.2, longitude: 55.27 },
  { tz: 'Europe/Berlin', latitude: 52.52, longitude: 13.4 },
  { tz: 'America/Sao_Paulo', latitude: -23.55, longitude: -46.63 },
  { tz: 'America/New_York', latitude: 40.71, longitude: -74.01 },
  { tz: 'America/Denver', latitude: 39.74, longitude: -104.99 },
  { tz: 'America/Los_Angeles', latitude: 34.05, longitude: -118.24 },
  { tz: 'Pacific/Honolulu', latitude: 21.31, longitude: -157.86 },
];

// ---- Wall-clock arithmetic, done here independently of the code under test.

function wallParts(tz: string, at: Date): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

function offsetMs(tz: string, at: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * MINUTE : 0;
}

/** The instant a wall-clock time in `tz` names (no DST change happens at the hours used here). */
function wallToInstant(tz: string, year: number, month: number, day: number, hour: number, minute = 0): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetMs(tz, new Date(wall));
  return new Date(wall - offsetMs(tz, new Date(first)));
}

/** The ISO form the ingest API takes: an explicit offset. */
const iso = (at: Date) => at.toISOString().replace('Z', '+00:00');
const dayLabel = (tz: string, at: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, day: 'numeric', month: 'short' }).format(at);
const timeLabel = (tz: string, at: Date) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit' }).format(at);
const oneDecimal = (v: number) => new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);
const inZone = (tz: string, at: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(at));

// ---- The readings: a bell of power over 07:00-17:00 local, constant within each
// 15-minute block (so 5- and 15-minute averages agree), one reading every 5 minutes.

const BLOCKS = 40;
const blockPower = (k: number, scale: number) => Math.round(500 + 4000 * scale * Math.sin((Math.PI * (k + 0.5)) / BLOCKS));

interface DayWritten {
  label: string;
  Wh: number;
  /** 15-minute blocks written: [start, W]. */
  blocks: [Date, number][];
}

function dayReadings(tz: string, date: { year: number; month: number; day: number }, scale: number, until: Date) {
  const start = wallToInstant(tz, date.year, date.month, date.day, 7);
  const meter: Record<string, unknown>[] = [];
  const weather: Record<string, unknown>[] = [];
  const written: DayWritten = { label: dayLabel(tz, start), Wh: 0, blocks: [] };
  for (let i = 0; i < BLOCKS * 3; i += 1) {
    const ts = new Date(start.getTime() + i * 5 * MINUTE);
    if (ts.getTime() > until.getTime()) break;
    const k = Math.floor(i / 3);
    const W = blockPower(k, scale);
    const Wh = W / 12;
    if (i % 3 === 0) written.blocks.push([ts, W]);
    written.Wh += Wh;
    meter.push({ ts: iso(ts), W, Wh });
    const irradiance = Math.round(950 * Math.sin((Math.PI * (k + 0.5)) / BLOCKS));
    weather.push({ ts: iso(ts), POA: irradiance, GHI: Math.round(irradiance * 0.8), TmpMod: 35, TmpAmb: 22 });
  }
  return { meter, weather, written };
}

// ---- The file's site, data and desktop.

let tenant: Tenant;
let siteId: string;
let zone: (typeof candidateZones)[number];
const ids: Record<'meter' | 'inverter' | 'weather', string> = { meter: '', inverter: '', weather: '' };
const days: DayWritten[] = [];
let desktop: Desktop;

async function restJson<T>(method: string, path: string, body?: unknown, status = [200, 201]): Promise<T> {
  const res = await suite.server.rest(tenant.apiKey, method, path, body);
  const answer = (await res.json().catch(() => undefined)) as T;
  expect(status, `${method} ${path}: ${JSON.stringify(answer)}`).toContain(res.status);
  return answer;
}

async function createComponent(body: Record<string, unknown>): Promise<string> {
  return (await restJson<{ id: string }>('POST', `/api/sites/${siteId}/components`, body)).id;
}

interface RestComponent {
  id: string;
  locusId: number;
  parentId: string | null;
  name: string;
  nodeId: string;
  nodeType: string;
  oem: string | null;
}

const restComponents = () => restJson<RestComponent[]>('GET', `/api/sites/${siteId}/components`);

beforeAll(async () => {
  const now = Date.now();
  const distance = (tz: string) => {
    const { hour, minute } = wallParts(tz, new Date(now));
    return Math.abs(hour * 60 + minute - 14 * 60);
  };
  zone = [...candidateZones].sort((a, b) => distance(a.tz) - distance(b.tz))[0]!;
  tenant = await suite.server.createTenant('Monitoring Solar', [{ name: 'Theo Field', role: 'technician' }]);
  siteId = (
    await createSiteByRest(suite.server, tenant, {
      siteName: 'Sunnyside Array',
      timezone: zone.tz,
      latitude: zone.latitude,
      longitude: zone.longitude,
    })
  ).id;
  // Only device faults raise alerts here: the other rules would see this test's made-up weather.
  await restJson('PUT', `/api/sites/${siteId}`, {
    modelSettings: { size: 6 },
    alertSettings: {
      systemDisconnect: { enabled: false },
      zeroGeneration: { enabled: false },
      performanceIndex: { enabled: false },
      stringsPerformance: { enabled: false },
    },
  });
  // 25 kWh a day expected, whatever the month's length.
  const year = wallParts(zone.tz, new Date(now)).year;
  const monthly = Array.from({ length: 12 }, (_, i) => ({
    month: i + 1,
    Wh_e: 25_000 * new Date(Date.UTC(year, i + 1, 0)).getUTCDate(),
    GHIh_t: null,
  }));
  await restJson('PUT', `/api/sites/${siteId}/expected`, { monthly });

  ids.meter = await createComponent({ name: 'Main meter', nodeId: 'MTR-001', nodeType: 'METER', application: 'GENERATION' });
  ids.inverter = await createComponent({ name: 'Inverter 1', nodeId: 'INV-001', nodeType: 'INVERTER', parentId: ids.meter });
  ids.weather = await createComponent({ name: 'Weather station', nodeId: 'WS-001', nodeType: 'WEATHERSTATION' });

  // Two full days before today, and today up to a few minutes ago.
  const until = new Date(now - 2 * MINUTE);
  const meter: Record<string, unknown>[] = [];
  const weather: Record<string, unknown>[] = [];
  const today = wallParts(zone.tz, new Date(now));
  for (const [back, scale] of [
    [2, 0.8],
    [1, 1.1],
    [0, 1],
  ] as const) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day - back));
    const made = dayReadings(zone.tz, { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }, scale, until);
    meter.push(...made.meter);
    weather.push(...made.weather);
    days.push(made.written);
  }
  const stored = await restJson<{ stored: number }>('POST', `/api/components/${ids.meter}/readings`, { readings: meter });
  expect(stored.stored).toBeGreaterThan(0);
  await restJson('POST', `/api/components/${ids.weather}/readings`, { readings: weather });

  const line = await startNetworkLine(suite.server.url);
  const fixture = await startHost(suite.rendererDir, ['Kept on this laptop']);
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  desktop = { line, fixture, page: await context.newPage(), pageErrors: [] };
  desktop.page.on('pageerror', (err) => desktop.pageErrors.push(err.message));
  // Chart.js draws under the renderer's Content-Security-Policy (no inline styles or scripts): a refusal would be logged here.
  desktop.page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) desktop.pageErrors.push(message.text());
  });
  await signInHost(fixture, line.url, tenant.people[0]!);
  await desktop.page.goto(`${fixture.host.url}/#/sites/${siteId}`);
  // The site arrives with the first sync.
  await desktop.page.getByRole('heading', { name: 'Components' }).waitFor({ timeout: SYNCED.timeout });
}, 240_000);

afterAll(async () => {
  if (!desktop) return;
  await desktop.page.context().close();
  await desktop.fixture.close();
  await desktop.line.close();
  expect(desktop.pageErrors).toEqual([]);
});

interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

/** The tree as indented lines "name · type · node id", read from the page's nested lists. */
async function treeLines(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Component tree' }).evaluate((root) => {
    const out: string[] = [];
    const walk = (list: typeof root, depth: number) => {
      for (const li of list.querySelectorAll(':scope > li')) {
        const name = li.querySelector(':scope > .component-row .component-name')?.textContent ?? '';
        const type = li.querySelector(':scope > .component-row .component-type')?.textContent ?? '';
        const nodeId = li.querySelector(':scope > .component-row .component-node-id')?.textContent ?? '';
        out.push(`${'  '.repeat(depth)}${name} · ${type} · ${nodeId}`);
        const children = li.querySelector(':scope > ul');
        if (children) walk(children, depth + 1);
      }
    };
    walk(root, 0);
    return out;
  });
}

async function goOffline(): Promise<void> {
  desktop.line.cut();
  await expect.poll(() => text(syncIndicator(desktop.page)), SYNCED).toMatch(/^Offline/);
}

async function backOnline(): Promise<void> {
  desktop.line.restore();
  await desktop.fixture.api.syncClient.syncNow.mutate();
  await expect.poll(() => text(syncIndicator(desktop.page)), SYNCED).toBe('Online');
}

async function fillComponentForm(form: Locator, values: { name?: string; nodeId?: string; type?: string; oem?: string }) {
  if (values.name !== undefined) await form.getByLabel('Component name').fill(values.name);
  if (values.nodeId !== undefined) await form.getByLabel('Node id').fill(values.nodeId);
  if (values.type !== undefined) await form.getByLabel('Component type').selectOption({ label: values.type });
  if (values.oem !== undefined) await form.getByLabel('Manufacturer').fill(values.oem);
}

describe('site monitoring in the desktop app', () => {
  it(
    'edits the component tree offline, refuses a loop in core’s words, and the server has the tree after sync',
    { timeout: 180_000 },
    async () => {
      const { page } = desktop;
      await expect
        .poll(() => treeLines(page), SYNCED)
        .toEqual(['Main meter · Meter · MTR-001', '  Inverter 1 · Inverter · INV-001', 'Weather station · Weather station · WS-001']);
      await goOffline();

      await page.getByRole('button', { name: 'Add a component under Inverter 1' }).click();
      let form = page.getByRole('form', { name: 'New component under Main meter › Inverter 1' });
      await fillComponentForm(form, { name: 'String 1', nodeId: 'STR-001', type: 'String' });
      await form.getByRole('button', { name: 'Add component' }).click();
      await page.getByText('Added String 1 under Main meter › Inverter 1. It reaches the server when Helio syncs.').waitFor();

      // A node id already used is refused at its field, naming the component that has it.
      await page.getByRole('button', { name: 'Add component', exact: true }).click();
      form = page.getByRole('form', { name: 'New component directly under the site' });
      await fillComponentForm(form, { name: 'Spare gateway', nodeId: 'STR-001', type: 'Gateway' });
      await form.getByRole('button', { name: 'Add component' }).click();
      await expect.poll(() => text(form.getByRole('alert'))).toContain('nodeId STR-001 is already used by component "String 1"');
      await form.getByLabel('Node id').fill('GW-001');
      await form.getByRole('button', { name: 'Add component' }).click();
      await page.getByText('Added Spare gateway directly under the site.', { exact: false }).waitFor();

      await page.getByRole('button', { name: 'Add a component under Main meter' }).click();
      form = page.getByRole('form', { name: 'New component under Main meter' });
      await fillComponentForm(form, { name: 'Inverter 2', nodeId: 'INV-002', type: 'Inverter' });
      await form.getByRole('button', { name: 'Add component' }).click();
      await page.getByText('Added Inverter 2 under Main meter.', { exact: false }).waitFor();

      await page.getByRole('button', { name: 'Edit String 1' }).click();
      form = page.getByRole('form', { name: 'Edit String 1' });
      await fillComponentForm(form, { name: 'String A1', oem: 'SunMaker' });
      await form.getByRole('button', { name: 'Save component' }).click();
      await page.getByText('Saved String A1.', { exact: false }).waitFor();

      await page.getByRole('button', { name: 'Move String A1', exact: true }).click();
      let move = page.getByRole('form', { name: 'Move String A1' });
      await move.getByLabel('New place for String A1').selectOption({ label: 'Under Main meter › Inverter 2 (Inverter, INV-002)' });
      await move.getByRole('button', { name: 'Move', exact: true }).click();
      await page.getByText('Moved String A1 under Main meter › Inverter 2.', { exact: false }).waitFor();

      // Moving the meter under a string inside it would make a loop: core refuses, in words with names.
      await page.getByRole('button', { name: 'Move Main meter', exact: true }).click();
      move = page.getByRole('form', { name: 'Move Main meter' });
      await move
        .getByLabel('New place for Main meter')
        .selectOption({ label: 'Under Main meter › Inverter 2 › String A1 (String, STR-001)' });
      await move.getByRole('button', { name: 'Move', exact: true }).click();
      await expect
        .poll(() => text(move.getByRole('alert')))
        .toBe(
          'Not moved: moving component “Main meter” under “String A1” would make a cycle: “String A1” is inside “Main meter” (move “String A1” out first)',
        );
      await screenshot(page, 'desktop-monitoring-tree-cycle-refused');
      await move.getByRole('button', { name: 'Cancel' }).click();

      await page.getByRole('button', { name: 'Remove Spare gateway' }).click();
      const question = page.getByRole('alertdialog', { name: 'Remove Spare gateway' });
      expect(await text(question)).toContain('Remove “Spare gateway” (GW-001)?');
      await question.getByRole('button', { name: 'Remove component' }).click();
      await page.getByText('Removed Spare gateway.', { exact: false }).waitFor();

      const expectedTree = [
        'Main meter · Meter · MTR-001',
        '  Inverter 1 · Inverter · INV-001',
        '  Inverter 2 · Inverter · INV-002',
        '    String A1 · String · STR-001',
        'Weather station · Weather station · WS-001',
      ];
      expect(await treeLines(page)).toEqual(expectedTree);
      await expect.poll(() => text(syncIndicator(page))).toMatch(/^Offline · \d+ pending changes$/);
      // Nothing of it reached the server yet.
      expect((await restComponents()).map((c) => c.name).sort()).toEqual(['Inverter 1', 'Main meter', 'Weather station']);
      await screenshot(page, 'desktop-monitoring-tree-offline');

      await backOnline();
      await expect
        .poll(async () => (await restComponents()).map((c) => c.name).sort(), SYNCED)
        .toEqual(['Inverter 1', 'Inverter 2', 'Main meter', 'String A1', 'Weather station']);
      const byName = new Map((await restComponents()).map((c) => [c.name, c]));
      expect(byName.get('Inverter 2')).toMatchObject({ parentId: ids.meter, nodeId: 'INV-002', nodeType: 'INVERTER' });
      expect(byName.get('String A1')).toMatchObject({
        parentId: byName.get('Inverter 2')!.id,
        nodeId: 'STR-001',
        nodeType: 'STRING',
        oem: 'SunMaker',
      });
      expect(byName.get('Main meter')!.parentId).toBeNull();
      // The server's integer ids come back down: the tree shows them.
      const locusId = byName.get('String A1')!.locusId;
      expect(locusId).toBeGreaterThan(0);
      await page.getByText(`Locus id ${locusId}`).waitFor({ timeout: SYNCED.timeout });
      expect(await treeLines(page)).toEqual(expectedTree);
    },
  );

  it(
    'shows alerts raised on the server in the site’s zone, acknowledges one offline, and the server has it after reconnecting',
    { timeout: 180_000 },
    async () => {
      const { page } = desktop;
      const faultAt = new Date(Date.now() - 20 * MINUTE).toISOString();
      const tripAt = new Date(Date.now() - 3 * 60 * MINUTE).toISOString();
      const clearedAt = new Date(Date.now() - 2 * 60 * MINUTE).toISOString();
      await restJson('POST', `/api/components/${ids.inverter}/events`, {
        ts: faultAt,
        code: 'ISO-042',
        state: 'active',
        priority: 'High',
        descriptionShort: 'Insulation resistance low',
      });
      await restJson('POST', `/api/components/${ids.meter}/events`, {
        events: [
          { ts: tripAt, code: 'GRID-TRIP', state: 'active', priority: 'Low', descriptionShort: 'Grid trip' },
          { ts: clearedAt, code: 'GRID-TRIP', state: 'cleared' },
        ],
      });

      const alerts = page.getByRole('region', { name: 'Alerts' });
      const fault = alerts.getByRole('row', { name: /Insulation resistance low/ });
      const trip = alerts.getByRole('row', { name: /Grid trip/ });
      await fault.waitFor({ timeout: SYNCED.timeout });
      await trip.waitFor({ timeout: SYNCED.timeout });
      expect(await text(alerts.getByRole('status', { name: 'Open alerts' }))).toBe('1 open');
      const cells = async (row: Locator) => (await row.getByRole('cell').allTextContents()).map((c) => c.trim());
      const faultCells = await cells(fault);
      expect(faultCells.slice(0, 4)).toEqual(['Device FaultInsulation resistance low', 'High', 'Inverter 1', inZone(zone.tz, faultAt)]);
      expect(faultCells[4]).toMatch(/^Open for (19|20|21) min$/);
      expect(await cells(trip)).toEqual([
        'Device FaultGrid trip',
        'Low',
        'Main meter',
        inZone(zone.tz, tripAt),
        inZone(zone.tz, clearedAt),
        'Acknowledge',
      ]);
      // The open alert is listed first.
      expect(await alerts.getByRole('row').nth(1).textContent()).toContain('Insulation resistance low');

      await goOffline();
      await fault.getByRole('button', { name: 'Acknowledge Device Fault on Inverter 1' }).click();
      await expect.poll(() => text(fault.getByRole('cell').last())).toMatch(/^By you, /);
      const [local] = (await desktop.fixture.api.alerts.list.query({ siteId, recentDays: 7 })).filter(
        (a) => a.componentId === ids.inverter,
      );
      expect(local).toMatchObject({ acknowledgedBy: tenant.people[0]!.id });
      expect(await text(fault.getByRole('cell').last())).toBe(`By you, ${inZone(zone.tz, local!.acknowledgedAt!)}`);
      await screenshot(page, 'desktop-monitoring-alerts-offline');
      const onServer = async () =>
        (
          await suite.server.server.services.db.query<{ acknowledged_by: string | null; acknowledged_at: Date | null }>(
            'SELECT acknowledged_by, acknowledged_at FROM alerts WHERE id = $1',
            [local!.id],
          )
        ).rows[0];
      expect(await onServer()).toEqual({ acknowledged_by: null, acknowledged_at: null });

      await backOnline();
      await expect.poll(async () => (await onServer())?.acknowledged_by, SYNCED).toBe(tenant.people[0]!.id);
      expect((await onServer())!.acknowledged_at!.toISOString()).toBe(new Date(local!.acknowledgedAt!).toISOString());
    },
  );

  it(
    'draws daily energy and today’s power from the server’s aggregates, says their numbers, and fits phone and tablet widths',
    { timeout: 180_000 },
    async () => {
      const { page } = desktop;
      const charts = page.getByRole('region', { name: 'Production' });
      const energy = charts.getByRole('figure', { name: 'Daily energy, last 30 days' });
      const power = charts.getByRole('figure', { name: 'Power today' });
      await energy.locator('canvas').waitFor({ timeout: SYNCED.timeout });
      await power.locator('canvas').waitFor();

      // What the test wrote, summed here: the chart must say the same. Expected energy is
      // 25 kWh a day, today's prorated to the moment the server answered.
      const kept = await desktop.fixture.api.charts.site.query({ siteId, maxAgeSeconds: 3600 });
      expect(kept.stale).toBeNull();
      const answeredAt = Date.parse(kept.chart!.fetchedAt!);
      const today = wallParts(zone.tz, new Date(answeredAt));
      const midnight = wallToInstant(zone.tz, today.year, today.month, today.day, 0).getTime();
      const nextMidnight = wallToInstant(zone.tz, today.year, today.month, today.day + 1, 0).getTime();
      const expectedToday = (25_000 * (answeredAt - midnight)) / (nextMidnight - midnight);
      const expected = 50_000 + expectedToday;
      const total = days.reduce((sum, d) => sum + d.Wh, 0);
      const best = days.reduce((a, b) => (b.Wh > a.Wh ? b : a));
      const percent = new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 0 }).format(total / expected);
      expect(await text(energy.locator('figcaption'))).toBe(
        `Energy over the last 30 days: ${oneDecimal(total / 1000)} kWh measured on 3 days, against ${oneDecimal(expected / 1000)} kWh expected (${percent}). ` +
          `Best day ${best.label}: ${oneDecimal(best.Wh / 1000)} kWh.`,
      );
      const todayBlocks = days[2]!.blocks;
      const peak = todayBlocks.reduce((a, b) => (b[1] > a[1] ? b : a));
      const latest = todayBlocks[todayBlocks.length - 1]!;
      const powerSaid = await text(power.locator('figcaption'));
      expect(powerSaid).toMatch(
        new RegExp(`^Peak power ${oneDecimal(peak[1] / 1000).replace('.', '\\.')} kW at ${timeLabel(zone.tz, peak[0])}, modeled peak \\d`),
      );
      expect(powerSaid).toContain(`Latest ${oneDecimal(latest[1] / 1000)} kW at ${timeLabel(zone.tz, latest[0])}.`);

      // Drawn: the canvases have pixels, and the text alternative is tied to them.
      for (const figure of [energy, power]) {
        const canvas = figure.locator('canvas');
        expect(await canvas.getAttribute('role')).toBe('img');
        const describedBy = (await canvas.getAttribute('aria-describedby'))!;
        expect(await figure.locator(`[id="${describedBy}"]`).textContent()).toBe(await text(figure.locator('figcaption')));
        const inked = await canvas.evaluate((element) => {
          // Typed by hand: this project compiles without the DOM's types.
          const c = element as unknown as Canvas;
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let count = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count += 1;
          return count;
        });
        expect(inked).toBeGreaterThan(1000);
      }

      // The numbers as a table, on request.
      await energy.getByRole('button', { name: 'Show the numbers' }).click();
      const table = energy.getByRole('table', { name: 'Daily energy, last 30 days, in kWh' });
      for (const [i, day] of days.entries()) {
        const row = table.getByRole('row', { name: new RegExp(`^${day.label} `) });
        const dayExpected = i === 2 ? oneDecimal(expectedToday / 1000) : '25.0';
        expect((await row.allTextContents())[0]).toBe(`${day.label}${oneDecimal(day.Wh / 1000)}${dayExpected}`);
      }
      expect(await energy.getByRole('button', { name: 'Hide the numbers' }).getAttribute('aria-expanded')).toBe('true');

      // Fetched now, from the server: the label says when.
      const fetchedAt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit' }).format(
        new Date(kept.fetchedAt!),
      );
      expect(await text(charts.getByRole('status', { name: 'Charts fetched' }))).toBe(`as of ${fetchedAt}`);

      for (const width of [390, 768, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        // Chart.js fits its canvas to the new width on the next frames.
        await expect
          .poll(() => page.evaluate('document.documentElement.scrollWidth - window.innerWidth'), {
            message: `the site page scrolls sideways at ${width} px`,
          })
          .toBeLessThanOrEqual(0);
        for (const name of ['Alerts', 'Production', 'Components']) {
          const panel = page.getByRole('region', { name, exact: true });
          const overflow = await panel.evaluate((el) => {
            const box = el.getBoundingClientRect();
            return (
              [...el.querySelectorAll('*')]
                // A table scrolls inside its own box on narrow windows: what it holds may pass the panel's edge.
                .filter((e) => !e.closest('.chart-table-wrap'))
                .filter((e) => {
                  const r = e.getBoundingClientRect();
                  return r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1);
                })
                .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
            );
          });
          expect(overflow, `${name} at ${width} px`).toEqual([]);
          if (width <= 768) {
            const small = await panel.evaluate((el) =>
              [...el.querySelectorAll('button, select, input:not([type=checkbox])')]
                .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 40)
                .map((e) => e.getAttribute('aria-label') ?? e.textContent),
            );
            expect(small, `${name} at ${width} px: controls too small to touch`).toEqual([]);
          }
        }
        await screenshot(page, `desktop-monitoring-site-${width}`);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    },
  );

  it('still shows the charts after the server stops, labelled with when they were fetched', { timeout: 180_000 }, async () => {
    const { page } = desktop;
    const charts = page.getByRole('region', { name: 'Production' });
    const said = await text(charts.getByRole('figure', { name: 'Daily energy, last 30 days' }).locator('figcaption'));
    const { fetchedAt } = await desktop.fixture.api.charts.site.query({ siteId, maxAgeSeconds: 3600 });
    const at = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit' }).format(new Date(fetchedAt!));

    await suite.server.stop();
    await charts.getByRole('button', { name: 'Refresh charts' }).click();
    await expect.poll(() => text(charts.getByRole('status', { name: 'Charts fetched' })), SYNCED).toBe(`as of ${at}, offline`);

    // A new window (or a restart) reads them from this laptop's cache, not from the page's memory.
    await page.reload();
    const energy = charts.getByRole('figure', { name: 'Daily energy, last 30 days' });
    await energy.locator('canvas').waitFor({ timeout: SYNCED.timeout });
    await charts.getByRole('figure', { name: 'Power today' }).locator('canvas').waitFor();
    expect(await text(energy.locator('figcaption'))).toBe(said);
    await expect.poll(() => text(charts.getByRole('status', { name: 'Charts fetched' })), SYNCED).toBe(`as of ${at}, offline`);
    await screenshot(page, 'desktop-monitoring-charts-offline');
  });
});
