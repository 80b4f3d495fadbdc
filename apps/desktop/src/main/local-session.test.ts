import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileSessionStore, type LocalSession } from './local-session.js';

const dirs: string[] = [];
function sessionPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'helio-session-'));
  dirs.push(dir);
  return join(dir, 'session.json');
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const userId = '0190c7d2-0000-7000-8000-000000000001';
const organisationId = '0190c7d2-0000-7000-8000-0000000000aa';

describe('session file', () => {
  it('keeps who signed in across a restart', () => {
    const path = sessionPath();
    const session: LocalSession = {
      userId,
      organisations: new Map([[organisationId, 'technician']]),
      source: 'server',
      serverUrl: 'https://helio.example.com',
      account: { name: 'Ada Field', email: 'ada@example.com' },
    };
    fileSessionStore(path).replace(session);
    expect(fileSessionStore(path).current()).toEqual(session);
  });

  it('reads a session saved before the account was kept, without one', () => {
    const path = sessionPath();
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        userId,
        organisations: [{ organisationId, role: 'owner' }],
        source: 'server',
        serverUrl: 'https://helio.example.com',
      }),
    );
    const session = fileSessionStore(path).current();
    expect(session).toMatchObject({ userId, source: 'server' });
    expect(session?.account).toBeUndefined();
  });
});
