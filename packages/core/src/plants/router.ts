// The plants procedures (server only: plants are not synced to devices).
// The desktop reads and edits the registry through them; credentials and
// commands stay on the Plants REST API.
import { z } from 'zod';
import { procedure, router } from '../trpc/init.js';
import { energyToday } from './energy.js';
import { createPlantInput, listPlantsQuery, updatePlantInput } from './schema.js';
import { createPlant, getPlant, listPlants, updatePlant } from './service.js';

const byId = z.strictObject({ id: z.uuid() });

export const plantsRouter = router({
  list: procedure.input(listPlantsQuery.partial().optional()).query(({ ctx, input }) => listPlants(ctx.service, input ?? {})),
  get: procedure.input(byId).query(({ ctx, input }) => getPlant(ctx.service, input.id)),
  create: procedure.input(createPlantInput).mutation(({ ctx, input }) => createPlant(ctx.service, input)),
  update: procedure
    .input(z.strictObject({ id: z.uuid(), patch: updatePlantInput }))
    .mutation(({ ctx, input }) => updatePlant(ctx.service, input.id, input.patch)),
  energyToday: procedure.input(byId).query(({ ctx, input }) => energyToday(ctx.service, input.id)),
});
