// The README's first walkthroughs: bootstrap and the Alentis API, then
// monitoring (the Locus API), on one server (readme-walkthrough.ts).
import { expect } from 'vitest';
import { describeWalkthroughs, root, runScript, strictCurl, walkthroughScript, withErrorChecks } from './readme-walkthrough.js';

describeWalkthroughs(
  'README walkthroughs: bootstrap, Alentis and monitoring',
  ['ppa_agreement.pdf', 'mcs_certificate.pdf', 'downloaded.pdf', 'readings.csv'],
  async (server, env) => {
    const script = walkthroughScript('walkthrough', 7).replaceAll('http://127.0.0.1:3000', server.url);
    // The walkthrough runs from the repository root, as a reader would.
    const result = await runScript(`${strictCurl}${script}\necho "SITE=$SITE"\necho "KEY=$KEY"`, env, root);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('downloaded the same bytes');

    const site = /SITE=(\S+)/.exec(result.stdout)?.[1];
    const key = /KEY=(\S+)/.exec(result.stdout)?.[1];
    const headers = { 'x-api-key': key! };
    const [after] = (await (await fetch(`${server.url}/api/sites?siteId=${site}`, { headers })).json()) as {
      portfolioId: string | null;
      siteName: string;
    }[];
    expect(after).toMatchObject({ siteName: 'Solar Farm Alpha', portfolioId: null });
    const docs = (await (await fetch(`${server.url}/api/sites/${site}/documents`, { headers })).json()) as {
      status: string;
      documentType: string;
    }[];
    expect(docs.map((d) => [d.documentType, d.status])).toEqual([
      ['ppa', 'uploaded'],
      ['mcs_certificate', 'uploaded'],
    ]);

    // The monitoring walkthrough, on the same server.
    const monitoring = withErrorChecks(walkthroughScript('monitoring-walkthrough', 7).replaceAll('http://127.0.0.1:3000', server.url));
    const run = await runScript(
      `${strictCurl}${monitoring}\necho "SITE=$SITE"\necho "AUTH=$AUTH"\necho "ROOF_ID=$ROOF_ID"\necho "KEY=$KEY"\necho "DAY=$DAY"`,
      env,
      root,
    );
    expect(run.code, run.stderr).toBe(0);
    const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(run.stdout)?.[1] ?? '';
    const auth = { authorization: value('AUTH').replace(/^Authorization: /, '') };
    // Yesterday in the simulated week, in the site's zone: energy by day, none at night, and power at noon.
    const day = value('DAY');
    const daily = (await (
      await fetch(
        `${server.url}/v3/sites/${value('SITE')}/data?fields=Wh_sum&start=${day}T00:00:00&end=${day}T23:00:00&tz=America/Los_Angeles&gran=hourly`,
        {
          headers: auth,
        },
      )
    ).json()) as { statusCode: number; data: { ts: string; Wh_sum?: number }[] };
    expect(daily.statusCode).toBe(200);
    const energyAt = (hour: string) => daily.data.find((d) => d.ts.slice(11, 13) === hour)?.Wh_sum ?? 0;
    expect(energyAt('02')).toBe(0);
    expect(energyAt('12')).toBeGreaterThan(0);
    // The hand-sent readings were stored once each, though the CSV import came after the JSON ones.
    const roof = (await (
      await fetch(`${server.url}/api/components/${value('ROOF_ID')}`, { headers: { 'x-api-key': value('KEY') } })
    ).json()) as { locusId: number };
    const roofData = (await (
      await fetch(
        `${server.url}/v3/components/${roof.locusId}/data?fields=Wh_sum&start=2026-06-01T00:00:00&end=2026-06-02T00:00:00&tz=US/Pacific&gran=daily`,
        {
          headers: auth,
        },
      )
    ).json()) as { data: { Wh_sum?: number }[] };
    expect(roofData.data).toEqual([{ id: roof.locusId, ts: '2026-06-01T00:00:00-07:00', Wh_sum: 350 + 342 + 333 + 325 }]);
  },
);
