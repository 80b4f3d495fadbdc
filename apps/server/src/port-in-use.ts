// Kept out of server.ts so the CLI can recognise it without loading Fastify.

/** Which listener could not have its port: the HTTP server, or the MQTT gateway over TCP or TLS. */
export type PortSetting = 'port' | 'mqtt.port' | 'mqtt.tlsPort';

const HOW_TO_CHANGE: Record<PortSetting, string> = {
  port: 'choose another port with --port, HELIO_PORT (or PORT) or "port" in the config file (helio.yaml)',
  'mqtt.port':
    'choose another port for the MQTT gateway with HELIO_MQTT_PORT or "mqtt.port" in the config file (helio.yaml) ' +
    '(0 picks a free port), or turn the gateway off with HELIO_MQTT_ENABLED=false',
  'mqtt.tlsPort':
    'choose another port for the MQTT gateway over TLS with HELIO_MQTTS_PORT or "mqtt.tlsPort" in the config file (helio.yaml) ' +
    '(0 picks a free port), or turn the gateway off with HELIO_MQTT_ENABLED=false',
};

/** Another process listens on the configured port; the message names the settings that change it. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly setting: PortSetting = 'port',
  ) {
    super(`port ${port} on ${host} is already in use: stop the process using it, or ${HOW_TO_CHANGE[setting]}`);
    this.name = 'PortInUseError';
  }
}
