import { z } from 'zod';
import { site, timezone } from '../sites/schema.js';

const portfolioName = z.string().trim().min(1).max(200);

// A portfolio is a Locus client: these are the client object's own fields
// (`tz` the default zone of the client's home user, the client's contact).
const clientFields = {
  tz: timezone,
  firstName: z.string().trim().max(200).nullable(),
  lastName: z.string().trim().max(200).nullable(),
  email: z.email().max(320).nullable(),
};

export const createPortfolioInput = z.strictObject({
  id: z.uuid().optional(),
  organisationId: z.uuid().optional(),
  name: portfolioName,
  /** Defaults to UTC. */
  tz: clientFields.tz.optional(),
  firstName: clientFields.firstName.optional(),
  lastName: clientFields.lastName.optional(),
  email: clientFields.email.optional(),
});

/** Bulk create: up to 100 portfolios in one all-or-nothing call. */
export const createPortfoliosInput = z.array(createPortfolioInput).min(1).max(100);

/**
 * A partial update: absent fields stay, `null` clears (the name and `tz`
 * cannot be cleared). The service refuses an update that names no field.
 */
export const updatePortfolioInput = z.strictObject({ name: portfolioName, ...clientFields }).partial();
export type UpdatePortfolioInput = z.input<typeof updatePortfolioInput>;

export const addSitesInput = z.strictObject({
  siteIds: z.array(z.uuid()).min(1).max(1000),
});

export const removeSiteInput = z.strictObject({ siteId: z.uuid() });

export const portfolio = z.object({
  id: z.uuid(),
  /** The Locus client id; null while a portfolio created offline waits for the server to assign it. */
  locusId: z.int().nullable(),
  name: z.string(),
  organisationId: z.uuid(),
  tz: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Portfolio = z.infer<typeof portfolio>;

export const portfolioWithSites = portfolio.extend({ sites: z.array(site) });
export type PortfolioWithSites = z.infer<typeof portfolioWithSites>;
