// aedes-persistence-redis ships no types: the part of it the gateway uses.
declare module 'aedes-persistence-redis' {
  interface RedisPersistenceOptions {
    host?: string;
    port?: number;
    db?: number;
    username?: string;
    password?: string;
    tls?: object;
    /** Offline messages delivered on CONNECT at most (default 1000). */
    maxSessionDelivery?: number;
  }
  function aedesPersistenceRedis(opts?: RedisPersistenceOptions): {
    destroy(): Promise<void>;
    [member: string]: unknown;
  };
  export = aedesPersistenceRedis;
}
