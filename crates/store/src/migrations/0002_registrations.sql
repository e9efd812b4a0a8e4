-- Registrar bindings: where each extension is reachable, kept across restarts.
CREATE TABLE registrations (
    aor TEXT NOT NULL,
    contact TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    call_id TEXT NOT NULL,
    cseq BIGINT NOT NULL,
    source TEXT NOT NULL,
    transport TEXT NOT NULL,
    user_agent TEXT,
    PRIMARY KEY (aor, contact)
);
CREATE INDEX registrations_expiry ON registrations(expires_at);
