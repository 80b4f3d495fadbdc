import { join, resolve } from 'node:path';
import {
  createDocumentTokenSigner,
  type BlobStore,
  type Clock,
  type DocumentTokenSigner,
  type IdGenerator,
  type Principal,
  type ServiceContext,
} from '@helio/core';
import type { Db } from '@helio/db';
import { createFsBlobStore } from './blobs/fs-blob-store.js';
import type { Config } from './config.js';
import { resolveSecret } from './secret.js';

/** What the transports share: the database, time, ids and configuration. */
export interface AppServices {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  config: Config;
  /** Document bytes. */
  blobs: BlobStore;
  /** Signs and checks upload and download URLs. */
  signer: DocumentTokenSigner;
}

// Document storage is not needed for a service context (the CLI builds one without it).
export function serviceContext(services: Omit<AppServices, 'blobs' | 'signer'>, principal: Principal): ServiceContext {
  return { db: services.db, clock: services.clock, ids: services.ids, principal };
}

/** Blob storage in `<dataDir>/blobs` and the URL signer keyed by the server secret. */
export function createDocumentServices(config: Config): Pick<AppServices, 'blobs' | 'signer'> {
  return {
    blobs: createFsBlobStore(join(resolve(config.dataDir), 'blobs')),
    signer: createDocumentTokenSigner(resolveSecret(config)),
  };
}
