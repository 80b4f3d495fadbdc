import { randomBytes } from 'node:crypto';

export interface IdGenerator {
  /** A new UUID v7: time-ordered, so clients can create rows offline without collisions. */
  uuid(): string;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * UUID v7 (RFC 9562): 48-bit Unix milliseconds, version, 12 bits of a
 * per-millisecond counter (monotonic within this generator), variant, 62 random bits.
 */
export function createUuidV7Generator(clock: Clock = systemClock): IdGenerator {
  let lastMs = -1;
  let counter = 0;
  return {
    uuid() {
      let ms = clock.now().getTime();
      if (ms <= lastMs) {
        counter += 1;
        if (counter > 0xfff) {
          lastMs += 1;
          counter = 0;
        }
        ms = lastMs;
      } else {
        lastMs = ms;
        counter = randomBytes(2).readUInt16BE(0) & 0x3ff; // leave headroom for increments
      }
      const bytes = randomBytes(16);
      bytes.writeUIntBE(ms, 0, 6);
      bytes[6] = 0x70 | (counter >> 8);
      bytes[7] = counter & 0xff;
      bytes[8] = 0x80 | (bytes[8]! & 0x3f);
      const hex = bytes.toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
