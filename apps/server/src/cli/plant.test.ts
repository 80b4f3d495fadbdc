// `helio plant move` on each engine: the server operator's way to move a plant
// to another organisation, which the Plants API refuses to every caller. Runs
// the dispatcher in this process (cli.test.ts spawns the real launcher).
import { organisations, plants, sites } from '@helio/core';
import type { Engine } from '@helio/db';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import { helioInProcess } from './spawn-helio.js';
import { cliTarget } from './test-target.js';

const TIMEOUT = 90_000;

describeEachEngine('npx helio plant move', (engine: Engine) => {
  const target = cliTarget(engine, 'plant');

  it(
    'moves a plant off its site into another organisation, and refuses a taken serial number or an unknown plant',
    async () => {
      const { from, to, plant, twin } = await target.asSystem(async (ctx) => {
        const from = await organisations.createOrganisation(ctx, { name: 'Old owner' });
        const to = await organisations.createOrganisation(ctx, { name: 'Rooftop Power' });
        const site = await sites.createSite(ctx, { organisationId: from.id, siteName: 'Roof' });
        const plant = await plants.createPlant(
          ctx,
          { name: 'Roof inverter', serialNumber: 'INV-0001', type: 'GATEWAY', siteId: site.id },
          { organisationId: from.id },
        );
        const twin = await plants.createPlant(
          ctx,
          { name: 'Twin', serialNumber: 'INV-0002', type: 'GATEWAY' },
          { organisationId: from.id },
        );
        await plants.createPlant(ctx, { name: 'Taken', serialNumber: 'INV-0002', type: 'GATEWAY' }, { organisationId: to.id });
        return { from, to, plant, twin };
      });
      expect(plant.siteId).not.toBeNull();

      const moved = await helioInProcess(target.work, ['plant', 'move', '--plant', plant.id, '--org', to.id, ...target.args]);
      expect(moved.status, moved.stderr).toBe(0);
      expect(moved.stdout).toMatch(/^Plant "Roof inverter" now belongs to organisation "Rooftop Power"\n/);
      expect(moved.stdout).toContain(`plant:         ${plant.id}`);
      await target.asSystem(async (ctx) => {
        expect(await plants.getPlant(ctx, plant.id)).toMatchObject({ organizationId: to.id, siteId: null, componentId: null });
      });

      // The serial number is taken in the target organisation: nothing moves.
      const taken = await helioInProcess(target.work, ['plant', 'move', '--plant', twin.id, '--org', to.id, '--json', ...target.args]);
      expect(taken.status).toBe(1);
      expect(JSON.parse(taken.stderr)).toMatchObject({ error: { code: 'CONFLICT' } });
      const unknown = await helioInProcess(target.work, [
        'plant',
        'move',
        '--plant',
        '0190f0f0-0000-7000-8000-000000000000',
        '--org',
        to.id,
        ...target.args,
      ]);
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/NOT_FOUND/);
      await target.asSystem(async (ctx) => {
        expect(await plants.getPlant(ctx, twin.id)).toMatchObject({ organizationId: from.id });
      });
    },
    TIMEOUT,
  );
});
