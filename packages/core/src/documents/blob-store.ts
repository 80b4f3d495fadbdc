/**
 * Where document bytes live: a directory now, S3-compatible storage later.
 * Keys are `/`-separated segments of `[A-Za-z0-9._-]`, chosen by core.
 */
export interface BlobStore {
  /**
   * Stores `data` under `key`, all or nothing: readers never see a partial
   * blob, and when `data` throws nothing is left behind. Resolves to the size
   * written.
   */
  put(key: string, data: AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  /** The blob's size and a stream of its bytes, or undefined when there is none. */
  get(key: string): Promise<StoredBlob | undefined>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
}

export interface StoredBlob {
  size: number;
  body: AsyncIterable<Uint8Array>;
}

const keyPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Throws unless `key` is a safe blob key (no `..`, no absolute paths, no hidden segments). */
export function assertBlobKey(key: string): void {
  if (key.length > 512 || !keyPattern.test(key)) throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
}

/** An in-memory store, for tests and tools that need no persistence. */
export function createMemoryBlobStore(): BlobStore & { keys(): string[] } {
  const blobs = new Map<string, Uint8Array>();
  return {
    async put(key, data) {
      assertBlobKey(key);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of data) {
        chunks.push(chunk.slice());
        size += chunk.byteLength;
      }
      const joined = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        joined.set(c, offset);
        offset += c.byteLength;
      }
      blobs.set(key, joined);
      return { size };
    },
    async get(key) {
      assertBlobKey(key);
      const bytes = blobs.get(key);
      if (!bytes) return undefined;
      return {
        size: bytes.byteLength,
        body: (async function* () {
          yield bytes.slice();
        })(),
      };
    },
    async delete(key) {
      assertBlobKey(key);
      blobs.delete(key);
    },
    keys: () => [...blobs.keys()].sort(),
  };
}
