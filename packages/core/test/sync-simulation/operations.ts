// Runs one operation of a schedule in the world. Local writes go through
// SyncClient.write; server-side writes through the same core services as
// REST; membership changes as an operator would make them.
import { allocateChangeSeqs } from '../../src/changes.js';
import { requestUploads } from '../../src/documents/service.js';
import { createMemoryBlobStore } from '../../src/documents/blob-store.js';
import { createDocumentTokenSigner } from '../../src/documents/upload-token.js';
import { isDomainError } from '../../src/errors.js';
import { syncSchema } from '../../src/sync/tables.js';
import { addMember, membershipsOf } from '../../src/users/service.js';
import type { ParsedMutation } from '../../src/sync/protocol.js';
import { Crash } from './databases.js';
import { seededIds } from './determinism.js';
import { fieldsFor, type FieldContext } from './fields.js';
import type { Op, Table } from './schedule.js';
import { checkWriteLeftNoTrace, checkWriteReadable, snapshotForWrite } from './checks.js';
import { describeError, SimServer, type KnownRow, type SimClient, type World } from './world.js';

const documentStorage = {
  blobs: createMemoryBlobStore(),
  signer: createDocumentTokenSigner('simulation-secret-of-at-least-32-bytes'),
  maxUploadBytes: 1_000_000,
};

/** The clients an operation touched, whose local state is checked after it. */
export async function perform(world: World, op: Op): Promise<SimClient[]> {
  // Every step takes a little time, as every request on a real server does.
  world.clock.advance(1);
  const clientOf = (n: number) => world.clients[n % world.clients.length]!;
  switch (op.kind) {
    case 'write':
      await localWrite(world, clientOf(op.client), op);
      return [clientOf(op.client)];
    case 'server-write':
      await serverWrite(world, op);
      return [];
    case 'document':
      await uploadRequest(world, op.org, op.target);
      return [];
    case 'push':
    case 'pull': {
      const client = clientOf(op.client);
      if (client.task) return [];
      const sync = client.sync;
      await world.start(client, op.kind, () =>
        op.kind === 'push' ? sync.pushOnce(world.schedule.pushLimit) : sync.pullOnce(world.schedule.pageLimit),
      );
      return [client];
    }
    case 'deliver': {
      const message = await world.network.deliver(op.message, op.fate);
      await world.resume(message);
      return message ? [world.clients[message.client]!] : [];
    }
    case 'online':
    case 'offline':
      world.network.setOnline(clientOf(op.client).index, op.kind === 'online');
      return [];
    case 'tick':
      world.clock.advance(op.ms);
      return [];
    case 'role': {
      const org = world.organisations[op.org % world.organisations.length]!;
      const change = addMember(world.server.system(), {
        organisationId: org.id,
        userId: world.users[op.user % world.users.length]!.id,
        role: op.role,
      });
      // Demoting the last owner is refused (CONFLICT): the organisation stays as it was.
      await change.catch((err: unknown) => {
        if ((err as { code?: unknown }).code !== 'CONFLICT') throw err;
      });
      return [];
    }
    case 'revoke':
      await revokeMembership(
        world,
        world.organisations[op.org % world.organisations.length]!.id,
        world.users[op.user % world.users.length]!.id,
      );
      return [];
    case 'kill': {
      const client = clientOf(op.client);
      if (op.after === 0 || client.task) await world.crash(client);
      else client.fuse.arm(op.after);
      return [client];
    }
    case 'restart': {
      world.server = new SimServer(world.dbs.server, world.clock, seededIds(world.rng.fork(), world.clock));
      world.network.breakConnections();
      for (const client of world.clients) await world.settle(client);
      return world.clients;
    }
  }
}

const NOWHERE = '0190a0d0-0000-7000-8000-00000000f00d';

/** Choices of the rows a write may name, from the rows known so far; `row`: the row an update writes. */
function fieldContext(world: World, organisationId: string, row?: KnownRow): FieldContext {
  const of = (table: Table, org: (o: string) => boolean, where: (r: KnownRow) => boolean = () => true) =>
    world.rows.filter((r) => r.table === table && org(r.organisationId) && where(r)).map((r) => r.id);
  const own = (o: string) => o === organisationId;
  const foreign = (o: string) => o !== organisationId;
  const pick = (ids: string[], n: number) => (ids.length > 0 ? ids[n % ids.length] : undefined);
  return {
    portfolio: (n) => pick(of('portfolios', own), n),
    foreignPortfolio: (n) => pick(of('portfolios', foreign), n) ?? NOWHERE,
    site: (n) => pick(of('sites', own), n) ?? NOWHERE,
    foreignSite: (n) => pick(of('sites', foreign), n) ?? NOWHERE,
    component: (n, siteId) =>
      pick(
        of('components', own, (r) => r.siteId === siteId),
        n,
      ),
    foreignComponent: (n) => pick(of('components', foreign), n) ?? NOWHERE,
    community: () => world.communities.find((c) => own(c.organisationId))?.id ?? NOWHERE,
    foreignCommunity: () => world.communities.find((c) => foreign(c.organisationId))?.id ?? NOWHERE,
    member: (n) => pick(of('community_members', own), n) ?? NOWHERE,
    foreignMember: (n) => pick(of('community_members', foreign), n) ?? NOWHERE,
    pod: (n) => pick(world.communities.find((c) => own(c.organisationId))?.pods ?? [], n) ?? null,
    ...(row ? { row: { id: row.id, ...(row.siteId ? { siteId: row.siteId } : {}) } } : {}),
  };
}

async function localWrite(world: World, client: SimClient, op: Extract<Op, { kind: 'write' }>): Promise<void> {
  const local = [...(await membershipsOf({ db: client.db }, client.user.id)).keys()].sort();
  let organisationId: string;
  let row: KnownRow | undefined;
  if (op.op === 'create') {
    organisationId = local.length > 0 ? local[op.org % local.length]! : world.organisations[op.org % world.organisations.length]!.id;
  } else {
    // Mostly rows of the client's own organisations; now and then anyone's, which it must refuse.
    const candidates = world.rows.filter((r) => r.table === op.table && (op.target % 7 === 0 || local.includes(r.organisationId)));
    if (candidates.length === 0) return;
    row = candidates[op.target % candidates.length]!;
    organisationId = row.organisationId;
  }
  const id = row?.id;
  const fields =
    op.op === 'create' || op.op === 'update'
      ? fieldsFor(op.table, op.fields, op.op === 'create', fieldContext(world, organisationId, row), op.invalid)
      : {};
  const before = await snapshotForWrite(client, op.table, id);
  let written: { id: string; seq: number };
  try {
    written = await client.sync.write({ table: op.table, op: op.op, ...(id ? { id } : {}), organisationId, fields });
  } catch (err) {
    if (err instanceof Crash) await world.crash(client);
    else if (isDomainError(err)) world.refuse(`local.${err.code}`);
    else world.violation(`client ${client.index} local ${op.op} of ${op.table} failed: ${describeError(err)}`);
    await checkWriteLeftNoTrace(world, client, op.table, before);
    return;
  }
  const { rows } = await client.db.query<{ mutation: ParsedMutation }>('SELECT mutation FROM sync_outbox WHERE seq = $1', [written.seq]);
  if (!rows[0]) {
    world.violation(`client ${client.index} write seq ${written.seq} committed but is not in the outbox`);
    return;
  }
  const write = {
    client: client.index,
    seq: written.seq,
    table: op.table,
    op: op.op,
    id: written.id,
    organisationId,
    mutation: rows[0].mutation,
  };
  world.writes.push(write);
  if (op.table === 'sites' && op.op === 'delete') world.removedSites.add(written.id);
  if (op.op === 'create') world.rows.push(knownRow(op.table, written.id, organisationId, fields));
  await checkWriteReadable(world, client, write);
}

async function serverWrite(world: World, op: Extract<Op, { kind: 'server-write' }>): Promise<void> {
  const org = world.organisations[op.org % world.organisations.length]!;
  const ctx = await world.server.as(org.ownerId);
  const candidates = world.rows.filter((r) => r.table === op.table && r.organisationId === org.id);
  const row = candidates.length > 0 ? candidates[op.target % candidates.length] : undefined;
  const target = row?.id;
  const fields = fieldsFor(
    op.table,
    op.fields,
    op.op === 'create',
    fieldContext(world, org.id, op.op === 'create' ? undefined : row),
    null,
  );
  try {
    // Through the table's descriptor: the same services a push applies.
    const { writes } = syncSchema.mustWrite(op.table);
    if (op.op === 'create') {
      const id = ctx.ids.uuid();
      await writes.create(ctx, id, org.id, fields);
      world.rows.push(knownRow(op.table, id, org.id, fields));
    } else if (target) {
      if (op.op === 'update') await writes.update(ctx, target, fields);
      else if (op.op === 'delete') {
        await writes.remove(ctx, target);
        if (op.table === 'sites') world.removedSites.add(target);
      } else await writes.restore(ctx, target);
    }
  } catch (err) {
    // A REST caller gets 404 for a deleted row and 400 for a stale portfolio or a move into a loop: that is not the simulation's business.
    if (isDomainError(err)) world.refuse(`server.${err.code}`);
    else world.violation(`server-side ${op.op} of ${op.table} failed: ${describeError(err)}`);
  }
}

/** A row just created; a component with its site, which its later writes need (a parent is of the same site). */
function knownRow(table: Table, id: string, organisationId: string, fields: Record<string, unknown>): KnownRow {
  const siteId = fields['siteId'];
  return { table, id, organisationId, ...(table === 'components' && typeof siteId === 'string' ? { siteId } : {}) };
}

async function uploadRequest(world: World, orgPick: number, target: number): Promise<void> {
  const org = world.organisations[orgPick % world.organisations.length]!;
  const sites = world.rows.filter((r) => r.table === 'sites' && r.organisationId === org.id);
  if (sites.length === 0) return;
  const ctx = await world.server.as(org.ownerId);
  try {
    await requestUploads(ctx, documentStorage, {
      siteId: sites[target % sites.length]!.id,
      fileType: 'documents',
      files: [{ filename: `report-${target % 10}.pdf`, mimeType: 'application/pdf', fileSize: 1000 + (target % 1000) }],
    });
  } catch (err) {
    if (isDomainError(err)) world.refuse(`document.${err.code}`);
    else world.violation(`document upload request failed: ${describeError(err)}`);
  }
}

/**
 * Ends a membership, as an operator would. There is no service for it yet,
 * so this does what one must: tombstone the row under a new change sequence,
 * so that the other members receive the change.
 */
async function revokeMembership(world: World, organisationId: string, userId: string): Promise<void> {
  await world.server.db.transaction(async (tx) => {
    const { rows } = await tx.query(
      'SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2 AND deleted_at IS NULL FOR UPDATE',
      [organisationId, userId],
    );
    if (rows.length === 0) return;
    const seq = await allocateChangeSeqs(tx, organisationId);
    await tx.query(
      'UPDATE memberships SET deleted_at = $3, updated_at = $3, change_seq = $4 WHERE organisation_id = $1 AND user_id = $2 AND deleted_at IS NULL',
      [organisationId, userId, world.clock.now(), seq],
    );
  });
}
