// Energy communities in the desktop app, through the real renderer in
// Chromium against a real Helio server: a community imported on the server
// reaches the desktop by sync and is read there with the network cut (its
// members, delivery points and assets, searched and filtered); a member and
// an asset edited offline reach the server once the line is back; refused
// input is said at its field and nothing is saved; a technician reads the
// registry but does not change it; the screens fit a tablet.
import { communities, systemPrincipal, type ServiceContext } from '@helio/core';
import { serviceContext } from '@helio/server';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, type Tenant } from './desktop-fixtures.js';
import { desktopSuite, signedIn, SYNCED, syncIndicator, text, type Desktop } from './desktop-session.js';

const suite = desktopSuite();

/** A small community as its managers would import it: two areas on one feeder, three members of different roles. */
function bundleOf(key: string): communities.RegistryBundleIn {
  return {
    community: {
      id: key,
      name: 'Solar Commons Valley',
      description: 'Neighbours and the valley school sharing a rooftop array',
      operators: { 'dso-1': { name: 'Valley Grid' } },
      areas: { north: { name: 'North district', topology: ['sub-1', 'feeder-n'] }, south: { name: 'South district' } },
      topology: [
        { id: 'sub-1', type: 'secondary_substation', name: 'Mill Lane substation', operator_id: 'dso-1' },
        { id: 'feeder-n', type: 'feeder', name: 'North feeder', parent: 'sub-1' },
      ],
    },
    members: {
      'm-ada': {
        name: 'Ada Lindqvist',
        role: 'consumer',
        status: 'active',
        area: 'north',
        delivery_points: [{ id: `${key}-POD-001`, type: 'pod', topology_node: 'feeder-n', address: '1 Mill Lane' }],
        assets: {
          meter: { 'mt-ada': { name: 'Ada main meter', sensor_id: `${key}-sens-001`, meter_type: 'consumption', pod: `${key}-POD-001` } },
        },
      },
      'm-bea': {
        name: 'Bea Okafor',
        role: 'prosumer',
        status: 'pending',
        area: 'north',
        delivery_points: [{ id: `${key}-POD-002`, type: 'pod', topology_node: 'feeder-n' }],
        assets: {
          pv: { 'pv-bea': { name: 'Bea roof PV', rated_power: 6.5, pod: `${key}-POD-002` } },
          meter: { 'mt-bea': { name: 'Bea meter', sensor_id: `${key}-sens-002`, meter_type: 'bidirectional', pod: `${key}-POD-002` } },
        },
      },
      'm-school': {
        name: 'Valley School',
        role: 'producer',
        status: 'active',
        area: 'south',
        type: 'schema:School',
        delivery_points: [{ id: `${key}-POD-003`, type: 'pod', active: false }],
        assets: {
          pv: { 'pv-school': { name: 'School roof PV', rated_power: 48, pod: `${key}-POD-003` } },
          storage: { 'bat-school': { name: 'School battery', capacity: 40, pod: `${key}-POD-003` } },
        },
      },
    },
  };
}

const system = (): ServiceContext => serviceContext(suite.server.server.services, systemPrincipal);

async function importCommunity(tenant: Tenant, key: string): Promise<string> {
  const report = await communities.importBundle(system(), bundleOf(key), { organisationId: tenant.organisationId });
  return report.community_id!;
}

/** The server's registry of the community, as its services read it. */
const serverRegistry = (communityId: string) => communities.listCommunityRegistry(system(), communityId);

/** The rows of a table as "cell · cell · …" lines, read as a person reads them. */
async function rows(page: Page, table: string): Promise<string[]> {
  const lines = await page
    .getByRole('table', { name: table })
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
  return lines.map((cells) => cells.filter((c) => c !== 'Edit').join(' · '));
}

async function openCommunity(desktop: Desktop, tenant: Tenant, person = tenant.people[0]!): Promise<void> {
  const { page } = desktop;
  await signedIn(desktop, person, tenant, '#/communities');
  await page.getByRole('link', { name: 'Solar Commons Valley' }).waitFor({ timeout: SYNCED.timeout });
}

async function goOffline(desktop: Desktop): Promise<void> {
  desktop.line.cut();
  await expect.poll(() => text(syncIndicator(desktop.page)), SYNCED).toMatch(/^Offline/);
}

async function backOnline(desktop: Desktop): Promise<void> {
  desktop.line.restore();
  await desktop.fixture.api.syncClient.syncNow.mutate();
  await expect.poll(() => text(syncIndicator(desktop.page)), SYNCED).toBe('Online');
}

/** As the layout test asks of every screen: nothing scrolls sideways, inputs keep a usable width, every control is big enough for a finger. */
async function checkTouchLayout(page: Page, screen: string): Promise<void> {
  const sizes = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })')) as {
    scrollWidth: number;
    innerWidth: number;
  };
  expect.soft(sizes.scrollWidth, `${screen}: the page scrolls sideways`).toBeLessThanOrEqual(sizes.innerWidth);
  const controls = (await page.evaluate(`[...document.querySelectorAll('main input, main select, main button, nav a')]
    .filter((e) => e.getClientRects().length > 0)
    .map((e) => { const r = e.getBoundingClientRect(); return { what: (e.labels?.[0]?.textContent || e.getAttribute('aria-label') || e.textContent || e.id).trim(), tag: e.tagName, width: r.width, height: r.height }; })`)) as {
    what: string;
    tag: string;
    width: number;
    height: number;
  }[];
  expect(controls.length).toBeGreaterThan(3);
  for (const c of controls) {
    expect.soft(c.height, `${screen}: ${c.tag} "${c.what}" is too small to touch`).toBeGreaterThanOrEqual(40);
    if (c.tag === 'INPUT') expect.soft(c.width, `${screen}: ${c.tag} "${c.what}" is squashed`).toBeGreaterThanOrEqual(120);
  }
}

describe('energy communities in the desktop app', () => {
  it(
    'shows the community synced from the server offline, a member edited offline reaches the server, and an open form follows the office',
    { timeout: 180_000 },
    async () => {
      const tenant = await suite.server.createTenant('Valley Energy Cooperative', [{ name: 'Ines Admin', role: 'admin' }]);
      const communityId = await importCommunity(tenant, 'solar-commons-1');
      const desktop = await suite.open();
      const { page } = desktop;
      await openCommunity(desktop, tenant);
      const listed = await rows(page, 'Communities');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatch(/^Solar Commons Valley.* · solar-commons-1 · 3 · 3 · 5 · /);

      await goOffline(desktop);
      await page.reload();
      await page.getByRole('link', { name: 'Solar Commons Valley' }).click();
      await page.getByRole('heading', { name: 'Solar Commons Valley' }).waitFor();
      expect(await text(page.locator('.community-facts'))).toContain('North district, South district');
      await expect
        .poll(() => rows(page, 'Members'))
        .toEqual([
          'Ada Lindqvist · m-ada · Consumer · Active · North district · 1 · 1',
          'Bea Okafor · m-bea · Prosumer · Pending · North district · 1 · 2',
          'Valley School · m-school · Producer · Active · South district · 1 · 2',
        ]);
      // Filters and search narrow the list; the count says how many are shown.
      await page.getByLabel('Area').selectOption({ label: 'North district (north)' });
      await page.getByLabel('Search members').fill('bea');
      await expect.poll(() => rows(page, 'Members')).toEqual(['Bea Okafor · m-bea · Prosumer · Pending · North district · 1 · 2']);
      await expect.poll(() => text(page.getByRole('status', { name: 'Members shown' }))).toBe('1 of 3 members shown');
      await screenshot(page, 'desktop-communities-members-offline');

      await page.getByRole('tab', { name: /^Delivery points/ }).click();
      await page.getByLabel('Active', { exact: true }).selectOption({ label: 'Inactive only' });
      await expect.poll(() => rows(page, 'Delivery points')).toEqual(['solar-commons-1-POD-003 · Valley School · POD · Inactive · — · —']);
      await page.getByRole('tab', { name: /^Assets/ }).click();
      await page.getByLabel('Asset type').selectOption({ label: 'Meter' });
      await expect
        .poll(() => rows(page, 'Assets'))
        .toEqual([
          'Ada main meter · mt-ada · Meter · Ada Lindqvist · solar-commons-1-sens-001 · solar-commons-1-POD-001 · — · —',
          'Bea meter · mt-bea · Meter · Bea Okafor · solar-commons-1-sens-002 · solar-commons-1-POD-002 · — · —',
        ]);

      // The member's edit, offline: her membership is confirmed and her name corrected.
      await page.getByRole('tab', { name: /^Members/ }).click();
      await page.getByRole('button', { name: 'Edit Bea Okafor' }).click();
      const form = page.getByRole('form', { name: 'Edit Bea Okafor' });
      await form.getByLabel('Status').selectOption({ label: 'Active' });
      await form.getByLabel('Name').fill('Bea Okafor-Reyes');
      await form.getByRole('button', { name: 'Save member' }).click();
      await page.getByText('Saved Bea Okafor-Reyes. It reaches the server when Helio syncs.').waitFor();
      await expect.poll(() => rows(page, 'Members')).toContain('Bea Okafor-Reyes · m-bea · Prosumer · Active · North district · 1 · 2');
      await expect.poll(() => text(syncIndicator(page))).toBe('Offline · 1 pending change');
      expect((await serverRegistry(communityId)).members.find((m) => m.key === 'm-bea')).toMatchObject({
        name: 'Bea Okafor',
        status: 'pending',
      });
      await screenshot(page, 'desktop-communities-member-saved-offline');

      await backOnline(desktop);
      await expect
        .poll(async () => (await serverRegistry(communityId)).members.find((m) => m.key === 'm-bea'), SYNCED)
        .toMatchObject({ name: 'Bea Okafor-Reyes', status: 'active', role: 'prosumer', area: 'north' });

      // An open form follows what the office changes meanwhile, and asks where both changed the same field.
      await page.getByRole('button', { name: 'Edit Valley School' }).click();
      const school = page.getByRole('form', { name: 'Edit Valley School' });
      await school.getByLabel('Name').fill('Valley Primary School');
      const schoolId = (await serverRegistry(communityId)).members.find((m) => m.key === 'm-school')!.id;
      await communities.updateCommunityMember(system(), schoolId, { name: 'Valley School (old building)', status: 'suspended' });
      const choice = school.getByRole('group', { name: 'Name changed elsewhere' });
      await choice.waitFor({ timeout: SYNCED.timeout });
      expect(await text(choice)).toContain(
        'Changed elsewhere to Valley School (old building) while you were editing. Yours: Valley Primary School.',
      );
      expect(await school.getByLabel('Status').inputValue()).toBe('suspended');
      await school.getByRole('button', { name: 'Save member' }).click();
      await school.getByText('Choose which value to keep before saving.').waitFor();
      await choice.getByRole('button', { name: 'Keep mine' }).click();
      await school.getByRole('button', { name: 'Save member' }).click();
      await page.getByText('Saved Valley Primary School.', { exact: false }).waitFor();
      await expect
        .poll(async () => (await serverRegistry(communityId)).members.find((m) => m.key === 'm-school'), SYNCED)
        .toMatchObject({ name: 'Valley Primary School', status: 'suspended' });
    },
  );

  it(
    'refuses wrong input at its field, saving nothing, and the assets and delivery points edited offline reach the server',
    { timeout: 180_000 },
    async () => {
      const tenant = await suite.server.createTenant('Refusal Valley Energy', [{ name: 'Omar Admin', role: 'owner' }]);
      const communityId = await importCommunity(tenant, 'solar-commons-2');
      const desktop = await suite.open();
      const { page } = desktop;
      await openCommunity(desktop, tenant);
      await goOffline(desktop);
      await page.getByRole('link', { name: 'Solar Commons Valley' }).click();

      // Another member's key, and an empty name: both said at their field, nothing sent.
      await page.getByRole('button', { name: 'Edit Ada Lindqvist' }).click();
      let form = page.getByRole('form', { name: 'Edit Ada Lindqvist' });
      await form.getByLabel('Name').fill('');
      await form.getByRole('button', { name: 'Save member' }).click();
      await form.getByText('Name is required.').waitFor();
      expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
      await form.getByLabel('Name').fill('Ada Lindqvist');
      await form.getByLabel('Member key').fill('m-bea');
      await form.getByRole('button', { name: 'Save member' }).click();
      await expect.poll(() => text(form.locator('.field-error'))).toMatch(/m-bea/);
      expect(await form.getByLabel('Member key').getAttribute('aria-invalid')).toBe('true');
      expect(await text(form.getByRole('status'))).toBe('Nothing was saved: check the fields marked below.');
      await screenshot(page, 'desktop-communities-member-refused');
      await form.getByRole('button', { name: 'Cancel' }).click();

      // A meter needs its sensor id; a number must be a number.
      await page.getByRole('tab', { name: /^Assets/ }).click();
      await page.getByRole('button', { name: 'Add asset' }).click();
      form = page.getByRole('form', { name: 'New asset' });
      await form.getByLabel('Name').fill('School heat pump meter');
      await form.getByLabel('Asset key').fill('mt-school-hp');
      await form.getByLabel('Asset type').selectOption({ label: 'Meter' });
      await form.getByLabel('Owner').selectOption({ label: 'Valley School (m-school)' });
      await form.getByRole('button', { name: 'Add asset' }).click();
      await form.getByText('Sensor id is required.').waitFor();
      await form.getByLabel('Asset type').selectOption({ label: 'Heat pump' });
      await form.getByLabel('Thermal power (kW)').fill('twelve');
      await form.getByRole('button', { name: 'Add asset' }).click();
      await form.getByText('Enter a number, such as 4.5.').waitFor();
      await expect.poll(() => text(syncIndicator(page))).toBe('Offline');

      await form.getByLabel('Asset type').selectOption({ label: 'Meter' });
      await form.getByLabel('Sensor id').fill('solar-commons-2-sens-hp');
      await form.getByLabel('Delivery point').selectOption({ label: 'solar-commons-2-POD-003 (Valley School)' });
      await form.getByLabel('Meter type').selectOption({ label: 'Consumption' });
      await form.getByRole('button', { name: 'Add asset' }).click();
      await page.getByText('Added School heat pump meter. It reaches the server when Helio syncs.').waitFor();
      await expect.poll(() => text(syncIndicator(page))).toBe('Offline · 1 pending change');

      // The PV's rating corrected, in the field's own unit; the school's battery taken out.
      await page.getByRole('button', { name: 'Edit School roof PV' }).click();
      form = page.getByRole('form', { name: 'Edit School roof PV' });
      expect(await form.getByLabel('Rated power (kWp)').inputValue()).toBe('48');
      await form.getByLabel('Rated power (kWp)').fill('49.5');
      await form.getByRole('button', { name: 'Save asset' }).click();
      await page.getByText('Saved School roof PV.', { exact: false }).waitFor();
      await page.getByRole('button', { name: 'Edit School battery' }).click();
      form = page.getByRole('form', { name: 'Edit School battery' });
      await form.getByRole('button', { name: 'Remove School battery' }).click();
      await page.getByRole('alertdialog', { name: 'Remove School battery' }).getByRole('button', { name: 'Remove this asset' }).click();
      await page.getByText('Removed School battery.', { exact: false }).waitFor();

      // A delivery point with assets behind it keeps them: core says so, and it stays.
      await page.getByRole('tab', { name: /^Delivery points/ }).click();
      await page.getByRole('button', { name: 'Edit delivery point solar-commons-2-POD-003' }).click();
      form = page.getByRole('form', { name: 'Edit delivery point solar-commons-2-POD-003' });
      await form.getByRole('button', { name: 'Remove delivery point solar-commons-2-POD-003' }).click();
      const question = page.getByRole('alertdialog', { name: 'Remove delivery point solar-commons-2-POD-003' });
      expect(await text(question)).toContain('Assets sit behind it (School heat pump meter, School roof PV)');
      await question.getByRole('button', { name: 'Remove this delivery point' }).click();
      await expect.poll(() => text(form.getByRole('alert'))).toMatch(/^Could not remove solar-commons-2-POD-003:/);
      await form.getByLabel('Active').selectOption({ label: 'Yes' });
      await form.getByLabel('Address').fill('School Lane 4');
      await form.getByRole('button', { name: 'Save delivery point' }).click();
      await page.getByText('Saved delivery point solar-commons-2-POD-003.', { exact: false }).waitFor();
      await expect
        .poll(() => rows(page, 'Delivery points'))
        .toContain('solar-commons-2-POD-003 · Valley School · POD · Active · — · School Lane 4');
      await expect.poll(() => text(syncIndicator(page))).toBe('Offline · 4 pending changes');
      await screenshot(page, 'desktop-communities-delivery-point-offline');

      await backOnline(desktop);
      await expect
        .poll(async () => (await serverRegistry(communityId)).assets.find((a) => a.key === 'mt-school-hp'), SYNCED)
        .toMatchObject({
          name: 'School heat pump meter',
          asset_type: 'meter',
          sensor_id: 'solar-commons-2-sens-hp',
          pod: 'solar-commons-2-POD-003',
          properties: { meter_type: 'consumption' },
        });
      const server = await serverRegistry(communityId);
      expect(server.assets.find((a) => a.key === 'pv-school')).toMatchObject({ properties: { rated_power: 49.5 } });
      expect(server.assets.map((a) => a.key)).not.toContain('bat-school');
      expect(server.delivery_points.find((p) => p.pod === 'solar-commons-2-POD-003')).toMatchObject({
        active: true,
        address: 'School Lane 4',
      });
    },
  );

  it(
    'fits a tablet: an admin’s forms and a technician’s read-only registry, every control big enough to touch',
    { timeout: 180_000 },
    async () => {
      const tenant = await suite.server.createTenant('Tablet Valley Energy', [
        { name: 'Amara Admin', role: 'admin' },
        { name: 'Tomasz Field', role: 'technician' },
      ]);
      await importCommunity(tenant, 'solar-commons-3');
      const tablet = { viewport: { width: 768, height: 1024 }, isMobile: true, hasTouch: true };

      const admin = await suite.open(tablet);
      await openCommunity(admin, tenant, tenant.people[0]!);
      await admin.page.getByRole('link', { name: 'Solar Commons Valley' }).click();
      for (const [tab, row] of [
        ['Members', 'Edit Bea Okafor'],
        ['Delivery points', 'Edit delivery point solar-commons-3-POD-002'],
        ['Assets', 'Edit Bea roof PV'],
      ] as const) {
        await admin.page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
        await admin.page.getByRole('button', { name: row }).click();
        await admin.page.getByRole('form', { name: row }).waitFor();
        await checkTouchLayout(admin.page, `admin, ${tab}`);
        await screenshot(admin.page, `desktop-communities-tablet-form-${tab.toLowerCase().replace(' ', '-')}`);
      }

      const technician = await suite.open(tablet);
      const { page } = technician;
      await openCommunity(technician, tenant, tenant.people[1]!);
      await page.getByRole('link', { name: 'Solar Commons Valley' }).click();
      await page.getByRole('note').filter({ hasText: 'you can read this community’s registry' }).waitFor();
      for (const tab of ['Members', 'Delivery points', 'Assets']) {
        await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
        await page.getByRole('table', { name: tab }).waitFor();
        // A write core would refuse is not offered.
        expect(await page.getByRole('button', { name: /^(Edit|Add)/ }).count()).toBe(0);
        await checkTouchLayout(page, `technician, ${tab}`);
        await screenshot(page, `desktop-communities-tablet-${tab.toLowerCase().replace(' ', '-')}`);
      }
      await expect.poll(() => rows(page, 'Assets')).toHaveLength(5);
    },
  );
});
