// Server-made clocks, unique per field: two writes of one field within the
// same millisecond used to get the same clock, so a client that had seen the
// first could take the second for it and overwrite it without a conflict.
// Now a server-made clock that is not after the field's current clock takes
// that clock's millisecond and the next counter value. Clocks from clients
// (`helio.hlc`) are unique already, by their node id, and are kept as given.
export default `
CREATE FUNCTION helio_next_server_clock(previous text, candidate text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  digits constant text := '0123456789abcdefghijklmnopqrstuvwxyz';
  counter bigint := 0;
  next_counter text := '';
  i integer;
BEGIN
  IF previous IS NULL OR candidate > previous THEN
    RETURN candidate;
  END IF;
  FOR i IN 15..18 LOOP
    counter := counter * 36 + (strpos(digits, substr(previous, i, 1)) - 1);
  END LOOP;
  counter := counter + 1;
  IF counter >= 36 ^ 4 THEN
    -- The counter is spent for this millisecond: move to the next one.
    RETURN lpad((substr(previous, 1, 13)::bigint + 1)::text, 13, '0') || '-0000-server';
  END IF;
  FOR i IN 1..4 LOOP
    next_counter := substr(digits, (counter % 36)::integer + 1, 1) || next_counter;
    counter := counter / 36;
  END LOOP;
  RETURN substr(previous, 1, 13) || '-' || next_counter || '-server';
END
$$;

CREATE OR REPLACE FUNCTION helio_stamp_field_clocks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  clock text := NULLIF(current_setting('helio.hlc', true), '');
  server_made boolean := clock IS NULL;
  old_values jsonb;
  new_values jsonb;
BEGIN
  IF server_made THEN
    clock := lpad(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text, 13, '0') || '-0000-server';
  END IF;
  new_values := to_jsonb(NEW) - 'field_clocks' - 'change_seq' - 'created_at' - 'updated_at' - 'id' - 'organisation_id';
  IF TG_OP = 'INSERT' THEN
    NEW.field_clocks := COALESCE((SELECT jsonb_object_agg(key, clock) FROM jsonb_each(new_values)), '{}'::jsonb);
  ELSE
    old_values := to_jsonb(OLD);
    NEW.field_clocks := OLD.field_clocks || COALESCE(
      (SELECT jsonb_object_agg(n.key, CASE WHEN server_made THEN helio_next_server_clock(OLD.field_clocks ->> n.key, clock) ELSE clock END)
       FROM jsonb_each(new_values) n WHERE n.value IS DISTINCT FROM old_values -> n.key),
      '{}'::jsonb);
  END IF;
  RETURN NEW;
END
$$;
`;
