// Document bytes as files under one directory. Writes go to a temporary file
// that is flushed and renamed into place, so a reader sees a whole blob or none.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { assertBlobKey, type BlobStore } from '@helio/core';

/** Temporary files end in this, so they are recognisable (and never a valid blob key's file). */
const TEMP_SUFFIX = '.partial';

export function createFsBlobStore(root: string): BlobStore {
  const base = resolve(root);
  const pathOf = (key: string) => {
    assertBlobKey(key);
    return join(base, ...key.split('/'));
  };

  return {
    async put(key, data) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
      const file = await open(temp, 'wx', 0o600);
      let size = 0;
      try {
        try {
          for await (const chunk of data) {
            await file.write(chunk);
            size += chunk.byteLength;
          }
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, path);
        return { size };
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    },

    async get(key) {
      // Open first, then stat the handle: the size and the bytes come from the same file.
      const file = await open(pathOf(key), 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'EISDIR') return undefined;
        throw err;
      });
      if (!file) return undefined;
      try {
        const info = await file.stat();
        if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
        // The stream closes the handle when it ends or is destroyed.
        return { size: info.size, body: file.createReadStream() };
      } catch (err) {
        await file.close();
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw err;
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
