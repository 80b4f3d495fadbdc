// Every committed write of an organisation announces itself: the change
// counter's row is updated by every write, and NOTIFY is delivered at commit
// (and only then), to every server instance listening on the database.
export default `
CREATE FUNCTION helio_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('helio_changes', json_build_object('organisationId', NEW.organisation_id, 'changeSeq', NEW.last_seq)::text);
  RETURN NEW;
END
$$;

CREATE TRIGGER organisation_change_counters_notify AFTER INSERT OR UPDATE ON organisation_change_counters
  FOR EACH ROW EXECUTE FUNCTION helio_notify_change();
`;
