-- Mailboxes: the message counts an outside voicemail system reports through ARI's
-- /mailboxes (Asterisk's res_mwi_external), kept across restarts. Runtime state, not
-- configuration: any name a client chooses (`1001`, `1001@default`), no tenant.
CREATE TABLE mailboxes (
    name TEXT NOT NULL PRIMARY KEY,
    old_messages BIGINT NOT NULL,
    new_messages BIGINT NOT NULL
);
