// Kept out of server.ts so the CLI can recognise it without loading Fastify.

/** Another process listens on the configured port; the message names the settings that change it. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `port ${port} on ${host} is already in use: stop the process using it, or choose another port with --port, ` +
        `HELIO_PORT (or PORT) or "port" in the config file (helio.yaml)`,
    );
    this.name = 'PortInUseError';
  }
}
