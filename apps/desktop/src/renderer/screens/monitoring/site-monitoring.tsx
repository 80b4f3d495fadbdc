// The site page's monitoring sections, in the order a technician reads them:
// what is wrong (alerts), how the site produces (charts), what it is made of
// (components).
import { AlertsPanel } from './alerts-panel.js';
import { ChartsPanel } from './charts-panel.js';
import { ComponentsPanel } from './components-panel.js';
import './monitoring.css';

export function SiteMonitoring({ siteId, organisationId, timeZone }: { siteId: string; organisationId: string; timeZone: string }) {
  return (
    <>
      <AlertsPanel siteId={siteId} organisationId={organisationId} timeZone={timeZone} />
      <ChartsPanel siteId={siteId} />
      <ComponentsPanel siteId={siteId} organisationId={organisationId} />
    </>
  );
}
