-- The audit trail (see src/audit/): administrative acts, append-only. Keep in step with the
-- other backend's copy.
--
-- Who acted is a user id (NULL for the command line, named by `actor`); no name or address
-- is copied here, so erasing a person's data leaves the trail whole and without them.
CREATE TABLE audit_events (
    id               TEXT PRIMARY KEY NOT NULL,
    at               TIMESTAMP NOT NULL,
    actor_id         TEXT NULL,
    -- `user` (actor_id says who) or `cli:<operating-system user>`
    actor            TEXT NOT NULL,
    -- the client's address, or `local` for the command line
    origin           TEXT NOT NULL,
    action           TEXT NOT NULL,
    subject_kind     TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    -- the enterprise whose owners and treasurers may read the event (none: platform admins)
    enterprise_id    TEXT NULL,
    -- the ledger entry the act wrote, when it moved money
    ledger_entry_id  TEXT NULL,
    -- what the act changed, as JSON
    details          TEXT NOT NULL
);
CREATE INDEX audit_events_by_enterprise ON audit_events (enterprise_id, id);
CREATE INDEX audit_events_by_entry ON audit_events (ledger_entry_id);
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
