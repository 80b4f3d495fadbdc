// Plant credentials: the device CA, sealed secrets, MQTT tokens, signed
// envelopes, and the check the gateway runs at CONNECT.
export * from './ca.js';
export { seal, open as openSealed } from './secret-box.js';
export * from './tokens.js';
export * from './hmac.js';
export * from './authenticate.js';
