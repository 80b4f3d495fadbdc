// The could-not-sync list of a device used by several people in turn: each
// entry remembers whose change it was, so a person sees only their own (the
// entries keep the values they tried to write).
export default `
ALTER TABLE sync_rejected ADD COLUMN user_id uuid;
`;
