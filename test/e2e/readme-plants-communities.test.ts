// The README's plants and energy communities walkthroughs, on one server
// (readme-walkthrough.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { describeWalkthroughs, root, runScript, strictCurl, walkthroughScript, withErrorChecks } from './readme-walkthrough.js';

describeWalkthroughs(
  'README walkthroughs: energy communities and plants',
  ['plant.json', 'plant.json.new', 'simulator.log', 'solar-commons.export.yaml', 'solar-commons.changed.yaml', 'solar-commons.broken.yaml'],
  async (server, env) => {
    // The energy communities walkthrough, on the same server: the sample imported, paged, looked up, exported and imported again.
    const communitiesScript = withErrorChecks(
      walkthroughScript('communities-walkthrough', 6).replaceAll('http://127.0.0.1:3000', server.url),
    );
    const communitiesRun = await runScript(`${strictCurl}${communitiesScript}\necho "COMMUNITY_KEY=$KEY"`, env, root);
    expect(communitiesRun.code, `${communitiesRun.stdout}\n${communitiesRun.stderr}`).toBe(0);
    const said = communitiesRun.stdout;
    // Three pages of members (3, 3 and 1), each member once, in key order.
    const paged = said
      .split('\n')
      .filter((line) => line.startsWith('[{"key":"m-'))
      .flatMap((line) => (JSON.parse(line) as { key: string }[]).map((m) => m.key));
    expect(paged).toEqual(['m-001', 'm-002', 'm-003', 'm-004', 'm-005', 'm-006', 'm-007']);
    expect(said).toMatch(/\[\{"key":"(mt-rossi|mt-charging-hub)","owner_key":"m-00[26]"\},\{"key":"(mt-rossi|mt-charging-hub)"/);
    expect(said).toContain('the CLI and the API export the same bytes');
    expect(said).toContain('m-006 kept its id, now active');
    expect(said).toContain('export, import, export: the same bytes');
    const registry = { 'x-api-key': /^COMMUNITY_KEY=(.*)$/m.exec(said)?.[1] ?? '' };
    const member = (await (await fetch(`${server.url}/admin/communities/solar-commons/members/m-001`, { headers: registry })).json()) as {
      area: string;
    };
    expect(member.area).toBe('old-town');
    // The refused bundle: every wrong area, each by document, path, line and column.
    const refused = await fetch(`${server.url}/admin/import/yaml`, {
      method: 'POST',
      headers: { ...registry, 'content-type': 'application/yaml' },
      body: readFileSync(join(root, 'solar-commons.broken.yaml')),
    });
    expect(refused.status).toBe(422);
    const { detail } = (await refused.json()) as { detail: { loc: string[]; doc: number; line: number; column: number }[] };
    expect(detail.map((d) => [d.loc.join('.'), d.doc, d.column])).toEqual(
      ['m-001', 'm-002', 'm-003', 'm-007'].map((m) => [`body.members.${m}.area`, 0, 11]),
    );
    expect(detail.every((d) => d.line > 1)).toBe(true);

    // The plants walkthrough, on the same server: a plant provisioned, run by the simulator, commanded, rotated, suspended, revoked.
    const plantsScript = withErrorChecks(walkthroughScript('plants-walkthrough', 7).replaceAll('http://127.0.0.1:3000', server.url));
    const plantsRun = await runScript(
      `${strictCurl}${plantsScript}\necho "PLANT=$PLANT"\necho "PLANT_KEY=$KEY"\necho "TOKEN=$TOKEN"\necho "NODE=$NODE"`,
      env,
      root,
    );
    expect(plantsRun.code, `${plantsRun.stdout}\n${plantsRun.stderr}`).toBe(0);
    const out = plantsRun.stdout;
    const plantValue = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(out)?.[1] ?? '';
    const plantHeaders = { 'x-api-key': plantValue('PLANT_KEY') };
    const plantUrl = `${server.url}/api/v1/plants/${plantValue('PLANT')}`;
    // The suspended plant was refused, the reactivated one sent its three readings, the revoked one was refused.
    expect(out).toContain('the simulator stopped: the gateway refuses the suspended plant');
    expect(out).toMatch(/telemetry: +3 made, 3 acknowledged/);
    expect(out).toContain('refused: the plant is revoked');
    expect(plantsRun.stderr).toMatch(/helio: UNAUTHORIZED: the gateway refused plant/);
    const simulatorLog = readFileSync(join(root, 'simulator.log'), 'utf8');
    expect(simulatorLog).toContain('Signing with the new HMAC secret from the package');
    expect(simulatorLog).toMatch(/giving up after 1 refusal in a row/);

    const plant = (await (await fetch(plantUrl, { headers: plantHeaders })).json()) as Record<string, unknown>;
    expect(plant).toMatchObject({ lifecycleStatus: 'REVOKED', status: 'OFFLINE', droppedMessageCount: 0 });
    expect(plant['activatedAt']).not.toBeNull();
    const history = (await (await fetch(`${plantUrl}/commands`, { headers: plantHeaders })).json()) as {
      data: {
        command: string;
        state: string;
        responseStatus: string | null;
        response: unknown;
        sentAt: string | null;
        ackedAt: string | null;
      }[];
    };
    // One set_power_limit despite the repeated Idempotency-Key; each answered by the simulated plant.
    expect(history.data.map((c) => [c.command, c.state, c.responseStatus]).sort()).toEqual([
      ['open_pod_bay_doors', 'declined', 'declined'],
      ['ping', 'done', 'done'],
      ['set_power_limit', 'done', 'done'],
    ]);
    expect(history.data.find((c) => c.command === 'set_power_limit')!.response).toEqual({ powerLimitW: 2500 });
    for (const c of history.data) expect(c.sentAt !== null && c.ackedAt !== null).toBe(true);
    const energy = (await (await fetch(`${plantUrl}/energy/today`, { headers: plantHeaders })).json()) as { produced: number };
    expect(energy.produced).toBeGreaterThan(0);
    const latest = (await (
      await fetch(`${server.url}/v3/components/${plantValue('NODE')}/data?fields=W_avg,Wh_sum&gran=latest`, {
        headers: { authorization: `Bearer ${plantValue('TOKEN')}` },
      })
    ).json()) as { statusCode: number; data: { W_avg?: number }[] };
    expect(latest.statusCode).toBe(200);
    expect(latest.data[0]!.W_avg).toBeGreaterThan(0);
    // The simulated inverter's rating is 5 kW.
    expect(latest.data[0]!.W_avg).toBeLessThanOrEqual(5000);
  },
);
