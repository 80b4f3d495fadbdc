import { z } from 'zod';
import { site } from '../sites/schema.js';

const portfolioName = z.string().trim().min(1).max(200);

export const createPortfolioInput = z.strictObject({
  id: z.uuid().optional(),
  organisationId: z.uuid().optional(),
  name: portfolioName,
});

/** Bulk create: up to 100 portfolios in one all-or-nothing call. */
export const createPortfoliosInput = z.array(createPortfolioInput).min(1).max(100);

export const updatePortfolioInput = z.strictObject({ name: portfolioName });

export const addSitesInput = z.strictObject({
  siteIds: z.array(z.uuid()).min(1).max(1000),
});

export const removeSiteInput = z.strictObject({ siteId: z.uuid() });

export const portfolio = z.object({
  id: z.uuid(),
  name: z.string(),
  organisationId: z.uuid(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Portfolio = z.infer<typeof portfolio>;

export const portfolioWithSites = portfolio.extend({ sites: z.array(site) });
export type PortfolioWithSites = z.infer<typeof portfolioWithSites>;
