// Public OAuth clients: apps that run on a user's own machine cannot keep a
// secret, so they authenticate with their client_id alone (RFC 6749 §2.1) and
// may only use the grants that need the user's own credentials. The desktop
// app is one, registered here with a fixed id; an operator disables it by
// setting its revoked_at.
export default `
ALTER TABLE oauth_clients ALTER COLUMN secret_hash DROP NOT NULL;
ALTER TABLE oauth_clients ADD CONSTRAINT oauth_clients_public_grants
  CHECK (secret_hash IS NOT NULL OR grants <@ ARRAY['password', 'refresh_token']::text[]);

INSERT INTO oauth_clients (id, client_id, secret_hash, name, grants)
VALUES ('00000000-0000-7000-8000-00000000d35c', 'helio-desktop', NULL, 'Helio desktop app', ARRAY['password', 'refresh_token']);
`;
