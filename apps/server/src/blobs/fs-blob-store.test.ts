import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore } from './fs-blob-store.js';

async function* parts(...chunks: (string | Error)[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) {
    if (c instanceof Error) throw c;
    yield Buffer.from(c);
  }
}

async function read(body: AsyncIterable<Uint8Array>): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of body) out.push(Buffer.from(c));
  return Buffer.concat(out).toString();
}

describe('filesystem blob store', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'helio-blobs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores, reads back and deletes a blob', async () => {
    const store = createFsBlobStore(root);
    expect(await store.put('org/doc/1', parts('hello ', 'world'))).toEqual({ size: 11 });
    const blob = await store.get('org/doc/1');
    expect(blob?.size).toBe(11);
    expect(await read(blob!.body)).toBe('hello world');
    await store.delete('org/doc/1');
    expect(await store.get('org/doc/1')).toBeUndefined();
    await store.delete('org/doc/1'); // deleting twice is fine
  });

  it('leaves nothing behind, not even a temporary file, when the data fails midway', async () => {
    const store = createFsBlobStore(root);
    await expect(store.put('org/doc/1', parts('partial', new Error('client went away')))).rejects.toThrow('client went away');
    expect(await store.get('org/doc/1')).toBeUndefined();
    expect(readdirSync(join(root, 'org', 'doc'))).toEqual([]);
  });

  it('refuses keys that would leave its directory', async () => {
    const store = createFsBlobStore(join(root, 'inner'));
    for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', '.hidden']) {
      await expect(store.put(key, parts('x'))).rejects.toThrow(/invalid blob key/);
    }
    expect(readdirSync(root)).toEqual([]);
  });
});
