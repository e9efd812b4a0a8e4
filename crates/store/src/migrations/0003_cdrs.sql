-- Call detail records: one row per finished call leg, with Asterisk's CDR column names
-- so that people who know Asterisk's cdr table recognise every field.
--
-- Times are RFC 3339 UTC text with milliseconds (2026-11-23T10:00:00.123Z), like every
-- other time in this schema: the fixed width makes text order time order on both engines.
-- calldate is the start (cdr_mysql's name); answer and "end" are cdr_adaptive_odbc's.
-- END is reserved in both SQLite and PostgreSQL, so the column is quoted here, as
-- "desc" and "match" are elsewhere; raw SQL must quote it too: SELECT "end" FROM cdrs.
-- cluster is the tenant, deliberately without a reference to tenants: the history of
-- a tenant's calls outlives the tenant.
CREATE TABLE cdrs (
    id {{serial}},
    uniqueid TEXT NOT NULL UNIQUE,
    linkedid TEXT NOT NULL DEFAULT '',
    cluster TEXT NOT NULL,
    calldate TEXT NOT NULL,
    answer TEXT,
    "end" TEXT NOT NULL,
    clid TEXT NOT NULL DEFAULT '',
    src TEXT NOT NULL DEFAULT '',
    dst TEXT NOT NULL DEFAULT '',
    dcontext TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    dstchannel TEXT NOT NULL DEFAULT '',
    lastapp TEXT NOT NULL DEFAULT '',
    lastdata TEXT NOT NULL DEFAULT '',
    duration BIGINT NOT NULL,
    billsec BIGINT NOT NULL,
    disposition TEXT NOT NULL,
    hangupcause BIGINT NOT NULL,
    hangupsource TEXT NOT NULL DEFAULT '',
    accountcode TEXT NOT NULL DEFAULT '',
    userfield TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cdrs_calldate ON cdrs(calldate);
CREATE INDEX cdrs_cluster_calldate ON cdrs(cluster, calldate);
