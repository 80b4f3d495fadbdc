// The monitoring data service, as other layers call it: the Locus facade
// (with Helio ids, after resolving Locus ids, passing the query string as
// received), the tRPC router and the alert rules.
export { componentData, partnerSitesData, siteData, type DataObject } from './query.js';
export { componentDataAvailable, partnerDataAvailable, siteDataAvailable, BULK_SHORT_NAMES, type BaseFieldObject } from './available.js';
export { siteChart, siteChartInput, type SiteChart } from './chart.js';
export { formatInstant, isValidZone, parseWallClock, parseZone, wallToInstant } from './zones.js';
