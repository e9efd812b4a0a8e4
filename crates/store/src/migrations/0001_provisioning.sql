-- Provisioning schema: every SARK resource as a table, with relations as rows.
-- Column names are SARK's wire names so the catalogue maps them one to one.
-- Every configuration table carries z_created / z_updated / z_updater as SARK's does.

CREATE TABLE tenants (
    pkey TEXT PRIMARY KEY,
    description TEXT,
    abstimeout BIGINT,
    clusterclid TEXT,
    callgroup BIGINT,
    chanmax BIGINT,
    include TEXT,
    localarea TEXT,
    localdplan TEXT,
    masteroclo TEXT,
    operator BIGINT,
    pickupgroup BIGINT,
    oclo TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);

-- Keys of routable things (extensions, queues, IVRs ...) share one namespace, as in SARK,
-- so a destination name always resolves to exactly one target.
CREATE TABLE directory (
    name TEXT PRIMARY KEY,
    resource TEXT NOT NULL
);

CREATE TABLE extensions (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    device TEXT,
    technology TEXT,
    "desc" TEXT,
    macaddr TEXT UNIQUE,
    passwd TEXT,
    active TEXT,
    callbackto TEXT,
    callerid TEXT,
    cellphone TEXT,
    celltwin TEXT,
    devicerec TEXT,
    dvrvmail TEXT REFERENCES extensions(pkey),
    location TEXT,
    protocol TEXT,
    provision TEXT,
    provisionwith TEXT,
    sndcreds TEXT,
    transport TEXT,
    vmailfwd TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX extensions_cluster ON extensions(cluster);

CREATE TABLE extension_runtime (
    pkey TEXT PRIMARY KEY REFERENCES extensions(pkey) ON DELETE CASCADE,
    cfim TEXT,
    cfbs TEXT,
    ringdelay BIGINT
);

CREATE TABLE trunks (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    carrier TEXT,
    technology TEXT,
    username TEXT,
    host TEXT,
    peername TEXT,
    trunkname TEXT,
    password TEXT,
    active TEXT,
    alertinfo TEXT,
    callerid TEXT,
    callprogress TEXT,
    description TEXT,
    devicerec TEXT,
    disa TEXT,
    disapass TEXT,
    inprefix TEXT,
    "match" BIGINT,
    moh TEXT,
    register TEXT,
    sipiaxpeer TEXT,
    sipiaxuser TEXT,
    swoclip TEXT,
    tag TEXT,
    transform TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX trunks_cluster ON trunks(cluster);

CREATE TABLE inboundroutes (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    carrier TEXT,
    trunkname TEXT,
    active TEXT,
    alertinfo TEXT,
    openroute TEXT,
    routeclassopen BIGINT,
    closeroute TEXT,
    routeclassclosed BIGINT,
    description TEXT,
    disa TEXT,
    disapass TEXT,
    inprefix TEXT,
    moh TEXT,
    swoclip TEXT,
    tag TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX inboundroutes_cluster ON inboundroutes(cluster);

CREATE TABLE routes (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    active TEXT,
    auth TEXT,
    "desc" TEXT,
    dialplan TEXT,
    strategy TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX routes_cluster ON routes(cluster);

-- The trunks an outbound route tries, in order (SARK's path1..path4).
CREATE TABLE route_paths (
    parent TEXT NOT NULL REFERENCES routes(pkey) ON DELETE CASCADE,
    slot BIGINT NOT NULL,
    path TEXT NOT NULL REFERENCES trunks(pkey),
    PRIMARY KEY (parent, slot)
);

CREATE TABLE ringgroups (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    outcome TEXT,
    outcomerouteclass BIGINT,
    devicerec TEXT,
    dialparamshunt TEXT,
    dialparamsring TEXT,
    divert BIGINT,
    greeting TEXT,
    grouptype TEXT,
    longdesc TEXT,
    obeydnd TEXT,
    pagegroup BIGINT,
    ringdelay BIGINT,
    speedalert TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX ringgroups_cluster ON ringgroups(cluster);

-- A ring group's members in ring order (SARK's whitespace-separated `out`).
CREATE TABLE ringgroup_members (
    parent TEXT NOT NULL REFERENCES ringgroups(pkey) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    member TEXT NOT NULL,
    PRIMARY KEY (parent, position)
);

CREATE TABLE queues (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    conf TEXT,
    devicerec TEXT,
    greetnum TEXT,
    options TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX queues_cluster ON queues(cluster);

CREATE TABLE agents (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    name TEXT,
    passwd TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX agents_cluster ON agents(cluster);

-- The queues an agent serves (SARK's queue1..queue6).
CREATE TABLE agent_queues (
    parent TEXT NOT NULL REFERENCES agents(pkey) ON DELETE CASCADE,
    slot BIGINT NOT NULL,
    queue TEXT NOT NULL REFERENCES queues(pkey),
    PRIMARY KEY (parent, slot)
);

CREATE TABLE ivrs (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    description TEXT,
    greetnum BIGINT,
    listenforext TEXT,
    timeout TEXT,
    timeoutrouteclass BIGINT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX ivrs_cluster ON ivrs(cluster);

-- One row per configured IVR key (SARK's option0..11, tag0..11, alert0..11).
CREATE TABLE ivr_options (
    parent TEXT NOT NULL REFERENCES ivrs(pkey) ON DELETE CASCADE,
    slot BIGINT NOT NULL,
    option TEXT,
    routeclass BIGINT,
    tag TEXT,
    alert TEXT,
    PRIMARY KEY (parent, slot)
);

CREATE TABLE daytimers (
    id {{serial}},
    pkey TEXT NOT NULL UNIQUE,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    datemonth TEXT,
    dayofweek TEXT,
    "desc" TEXT,
    month TEXT,
    timespan TEXT,
    state TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX daytimers_cluster ON daytimers(cluster);

CREATE TABLE holidaytimers (
    id {{serial}},
    pkey TEXT NOT NULL UNIQUE,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    route TEXT,
    routeclass BIGINT,
    "desc" TEXT,
    stime BIGINT,
    etime BIGINT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX holidaytimers_cluster ON holidaytimers(cluster);

CREATE TABLE cosrules (
    pkey TEXT PRIMARY KEY,
    active TEXT,
    defaultclosed TEXT,
    defaultopen TEXT,
    orideclosed TEXT,
    orideopen TEXT,
    description TEXT,
    dialplan TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);

CREATE TABLE cosopens (
    "IPphone_pkey" TEXT NOT NULL REFERENCES extensions(pkey) ON DELETE CASCADE,
    "COS_pkey" TEXT NOT NULL REFERENCES cosrules(pkey),
    z_created TEXT, z_updated TEXT, z_updater TEXT,
    PRIMARY KEY ("IPphone_pkey", "COS_pkey")
);

CREATE TABLE coscloses (
    "IPphone_pkey" TEXT NOT NULL REFERENCES extensions(pkey) ON DELETE CASCADE,
    "COS_pkey" TEXT NOT NULL REFERENCES cosrules(pkey),
    z_created TEXT, z_updated TEXT, z_updater TEXT,
    PRIMARY KEY ("IPphone_pkey", "COS_pkey")
);

CREATE TABLE customapps (
    pkey TEXT PRIMARY KEY,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    "desc" TEXT,
    extcode TEXT,
    span TEXT,
    striptags TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX customapps_cluster ON customapps(cluster);

CREATE TABLE templates (
    pkey TEXT PRIMARY KEY,
    technology TEXT,
    blfkeyname TEXT REFERENCES templates(pkey),
    "desc" TEXT,
    provision TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);

-- System globals as name/value rows; the API shows them as SARK's one-row object.
CREATE TABLE sysglobals (
    name TEXT PRIMARY KEY,
    value TEXT
);

-- Uploaded greeting files; the bytes live in the data directory, named by pkey.
CREATE TABLE greetings (
    pkey TEXT PRIMARY KEY,
    cluster TEXT REFERENCES tenants(pkey),
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    tenant TEXT,
    label TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id {{serial}},
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    remote TEXT,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    rkey TEXT,
    tenant TEXT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_resource ON audit_log(resource, rkey);
