import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal } from './secret-box.js';

describe('secret box', () => {
  const key = randomBytes(32);

  it('seals text so that only its key opens it', () => {
    const secret = 'a'.repeat(64);
    const sealed = seal(key, secret);
    expect(sealed).not.toContain(secret);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(open(key, sealed)).toBe(secret);
    expect(seal(key, secret)).not.toBe(sealed); // a fresh IV every time
    expect(() => open(randomBytes(32), sealed)).toThrow(/cannot open/);
  });

  it('detects any altered byte', () => {
    const sealed = seal(key, 'the secret');
    const [v, iv, body, tag] = sealed.split('.') as [string, string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    bytes[0] = bytes[0]! ^ 1;
    expect(() => open(key, [v, iv, bytes.toString('base64url'), tag].join('.'))).toThrow(/cannot open/);
    const tagBytes = Buffer.from(tag, 'base64url');
    tagBytes[3] = tagBytes[3]! ^ 0x80;
    expect(() => open(key, [v, iv, body, tagBytes.toString('base64url')].join('.'))).toThrow(/cannot open/);
    expect(() => open(key, 'plain text')).toThrow(/not a sealed secret/);
    expect(() => seal(randomBytes(16), 'x')).toThrow(/32 bytes/);
  });
});
