// The sync protocol's messages, shared by the server and every client.
import { z } from 'zod';
import { isHlc } from './hlc.js';
import { SQL_IDENTIFIER } from './synced-table.js';

/** The version of these messages. A server accepts a range; see `acceptedProtocolVersions`. */
export const PROTOCOL_VERSION = 1;
export const acceptedProtocolVersions = { min: 1, max: 1 } as const;

/** The version of the synced rows' shape (the database schema as clients store it). */
export const SCHEMA_VERSION = 4;
export const acceptedSchemaVersions = { min: 4, max: 4 } as const;

export const PULL_PAGE_LIMIT = 500;
export const PUSH_BATCH_LIMIT = 500;

const hlc = z.string().refine(isHlc, { message: 'must be a hybrid logical clock' });

/**
 * A synced table's name. Which tables a server syncs, and which of them
 * clients may write, is its SyncSchema's say (tables.ts), checked when a
 * message arrives: the messages themselves hold for any table.
 */
const tableName = z.string().regex(SQL_IDENTIFIER, 'must be a table name');

const versions = {
  protocolVersion: z.int().positive(),
  schemaVersion: z.int().positive(),
};

const rowMutation = z.strictObject({
  seq: z.int().positive(),
  table: tableName,
  op: z.enum(['create', 'update', 'delete', 'restore']),
  id: z.uuid(),
  organisationId: z.uuid(),
  /** The fields this mutation sets, by API name (`siteName`, `portfolioId`, ...). */
  fields: z.record(z.string(), z.unknown()).default({}),
  /** For each field set (or, for a delete, each field seen), the clock of the value the client saw; null if none. */
  base: z.record(z.string(), hlc.nullable()).default({}),
  hlc,
});

const resolveConflictMutation = z.strictObject({
  seq: z.int().positive(),
  table: z.literal('sync_conflicts'),
  op: z.literal('resolve'),
  id: z.uuid(),
  organisationId: z.uuid(),
  /** `kept`: accept what the server kept. `restored`: put the lost value (or the deleted row) back. */
  fields: z.strictObject({ resolution: z.enum(['kept', 'restored']) }),
  base: z.record(z.string(), hlc.nullable()).default({}),
  hlc,
});

// A resolve is tried first: its table would also pass as a row mutation's.
export const mutation = z.union([resolveConflictMutation, rowMutation]);
export type Mutation = z.input<typeof mutation>;
export type ParsedMutation = z.output<typeof mutation>;

export const pushRequest = z.strictObject({
  ...versions,
  clientId: z.uuid(),
  mutations: z.array(mutation).max(PUSH_BATCH_LIMIT),
});
export type PushRequest = z.input<typeof pushRequest>;

export const mutationResult = z.object({
  seq: z.int().positive(),
  /** `gap`: an earlier seq is missing; nothing from here on was applied. */
  status: z.enum(['applied', 'conflict', 'rejected', 'gap']),
  /** With applied/conflict: the change sequence that holds the mutation's effect, in this organisation. */
  organisationId: z.uuid().nullable(),
  changeSeq: z.int().nullable(),
  /** With rejected: why, as a stable code and a message to show the user. */
  code: z.string().nullable(),
  message: z.string().nullable(),
  /**
   * The mutation's clock, as it was sent: it tells this client's own
   * mutation from another one sent under the same client id and seq (a copy
   * of the device's data). Absent from results recorded before it existed.
   */
  hlc: z.string().optional(),
});
export type MutationResult = z.infer<typeof mutationResult>;

export const pushResponse = z.object({
  results: z.array(mutationResult),
  lastAppliedSeq: z.int().nonnegative(),
});
export type PushResponse = z.infer<typeof pushResponse>;

export const pullRequest = z.strictObject({
  ...versions,
  clientId: z.uuid(),
  /** The last change sequence received, per organisation; organisations not named start from 0. */
  cursors: z.record(z.uuid(), z.int().nonnegative()).default({}),
  /** Results of this client's mutations with seq above this are included in the answer. */
  ackedSeq: z.int().nonnegative().default(0),
  limit: z.int().min(1).max(PULL_PAGE_LIMIT).default(PULL_PAGE_LIMIT),
});
export type PullRequest = z.input<typeof pullRequest>;

export const rowChange = z.object({
  table: tableName,
  id: z.uuid(),
  changeSeq: z.int().positive(),
  deletedAt: z.string().nullable(),
  fieldClocks: z.record(z.string(), z.string()),
  /** The row's columns as the database names them (the shared schema), timestamps as ISO strings. */
  row: z.record(z.string(), z.unknown()),
});
export type RowChange = z.infer<typeof rowChange>;

export const directoryUser = z.object({ id: z.uuid(), email: z.string(), name: z.string() });
export type DirectoryUser = z.infer<typeof directoryUser>;

export const organisationPage = z.object({
  organisationId: z.uuid(),
  changes: z.array(rowChange),
  /** Users the changes refer to (members, uploaders, conflict authors). */
  users: z.array(directoryUser),
  cursor: z.int().nonnegative(),
  hasMore: z.boolean(),
});
export type OrganisationPage = z.infer<typeof organisationPage>;

export const pullResponse = z.object({
  organisations: z.array(organisationPage),
  /** Organisations the client asked about that the user no longer belongs to: purge them. */
  revoked: z.array(z.uuid()),
  lastAppliedSeq: z.int().nonnegative(),
  mutations: z.array(mutationResult),
});
export type PullResponse = z.infer<typeof pullResponse>;
