// The PostgreSQL schema: the same logical tables as the SQLite store's version 5 (organizations
// with metadata, memberships with their email key and department, per-user state, the audit
// trail with actor kinds, invitations, custom roles, API keys), every row keyed by its
// organization, plus the commit log that numbers commits (postgres.hpp, commit tokens).
//
// Differences from SQLite, and why:
// - Identifier columns (tenants, user ids, slugs, role names, keys, prefixes) are COLLATE "C":
//   listings by user id or role name then sort by bytes, as SQLite does, whatever the
//   database's locale, and equality never depends on a collation.
// - Times are bigint milliseconds since the epoch, as in SQLite, so both read back alike.
// - Ids are identity columns; sequences never hand out an id twice, so an audit event never
//   points at a newer organization that took a deleted one's id (SQLite: AUTOINCREMENT).
// - Hashes are bytea. Audit events have no foreign key to organizations: the trail of a
//   deleted organization stays (O5).
#include "postgres/schema.hpp"

#include <cstdint>

#include <fmt/format.h>

#include <orgkit/postgres.hpp>

namespace orgkit::postgres {

namespace {

constexpr const char* schema_v1 = R"sql(
CREATE TABLE organizations (
  id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant          text    COLLATE "C" NOT NULL,
  name            text    NOT NULL,
  slug            text    COLLATE "C" NOT NULL,
  description     text    NOT NULL DEFAULT '',
  legal_name      text    NOT NULL DEFAULT '',
  alerting_email  text    NOT NULL DEFAULT '',
  invoicing_email text    NOT NULL DEFAULT '',
  plan            text    NOT NULL DEFAULT '',
  personal        boolean NOT NULL DEFAULT false,
  created_by      text    COLLATE "C" NOT NULL,
  created_at      bigint  NOT NULL,
  CONSTRAINT organizations_slug UNIQUE (tenant, slug)
);
CREATE UNIQUE INDEX organizations_one_personal
  ON organizations (tenant, created_by) WHERE personal;
CREATE INDEX organizations_by_creator ON organizations (tenant, created_by, personal);

CREATE TABLE organization_metadata (
  org_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  key    text   COLLATE "C" NOT NULL,
  value  text   NOT NULL,
  PRIMARY KEY (org_id, key)
);

CREATE TABLE memberships (
  org_id       bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id      text   COLLATE "C" NOT NULL,
  tenant       text   COLLATE "C" NOT NULL,
  email        text   NOT NULL,
  email_key    text   COLLATE "C" NOT NULL,
  display_name text   NOT NULL DEFAULT '',
  role         text   COLLATE "C" NOT NULL,
  department   text   NOT NULL DEFAULT '',
  joined_at    bigint NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (tenant, user_id);
CREATE INDEX memberships_by_role ON memberships (org_id, role, user_id);
CREATE INDEX memberships_by_email ON memberships (org_id, email_key);

CREATE TABLE user_state (
  tenant        text   COLLATE "C" NOT NULL,
  user_id       text   COLLATE "C" NOT NULL,
  active_org_id bigint REFERENCES organizations (id) ON DELETE SET NULL,
  PRIMARY KEY (tenant, user_id)
);
CREATE INDEX user_state_by_org ON user_state (active_org_id);

CREATE TABLE audit_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant     text   COLLATE "C" NOT NULL,
  org_id     bigint NOT NULL,
  actor      text   COLLATE "C" NOT NULL,
  actor_kind text   NOT NULL DEFAULT 'member',
  action     text   COLLATE "C" NOT NULL,
  target     text   COLLATE "C" NOT NULL,
  at         bigint NOT NULL
);
CREATE INDEX audit_events_by_org ON audit_events (tenant, org_id, id);

CREATE TABLE audit_changes (
  event_id bigint  NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
  seq      integer NOT NULL,
  field    text    NOT NULL,
  before   text,
  after    text,
  PRIMARY KEY (event_id, seq)
);

CREATE TABLE invitations (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id          bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  tenant          text   COLLATE "C" NOT NULL,
  kind            text   NOT NULL CHECK (kind IN ('email', 'link')),
  email           text   NOT NULL DEFAULT '',
  email_key       text   COLLATE "C" NOT NULL DEFAULT '',
  role            text   COLLATE "C" NOT NULL,
  department      text   NOT NULL DEFAULT '',
  message         text   NOT NULL DEFAULT '',
  state           text   NOT NULL
                         CHECK (state IN ('pending', 'accepted', 'declined', 'revoked')),
  token_hash      bytea  NOT NULL,
  invited_by      text   COLLATE "C" NOT NULL,
  invited_by_kind text   NOT NULL DEFAULT 'member',
  created_at      bigint NOT NULL,
  expires_at      bigint NOT NULL,
  closed_by       text   COLLATE "C",
  closed_at       bigint,
  CONSTRAINT invitations_token UNIQUE (token_hash)
);
CREATE INDEX invitations_by_org ON invitations (org_id, id);
CREATE UNIQUE INDEX invitations_one_pending_email
  ON invitations (org_id, email_key) WHERE state = 'pending' AND kind = 'email';

CREATE TABLE org_roles (
  org_id      bigint  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name        text    COLLATE "C" NOT NULL,
  rank        integer NOT NULL,
  permissions text    NOT NULL,
  created_at  bigint  NOT NULL,
  PRIMARY KEY (org_id, name)
);

CREATE TABLE api_keys (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id       bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  tenant       text   COLLATE "C" NOT NULL,
  name         text   NOT NULL,
  role         text   COLLATE "C" NOT NULL,
  prefix       text   COLLATE "C" NOT NULL,
  secret_hash  bytea  NOT NULL,
  created_by   text   COLLATE "C" NOT NULL,
  created_at   bigint NOT NULL,
  expires_at   bigint,
  revoked_at   bigint,
  last_used_at bigint,
  CONSTRAINT api_keys_prefix UNIQUE (prefix)
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, id);

-- One row per committed write transaction: its token (a WAL position). Writers only insert
-- (and prune older rows), so committing takes no lock that other writers wait for; the
-- primary key makes tokens unique and lets max() read one index entry.
CREATE TABLE commit_log (
  token bigint PRIMARY KEY
);
)sql";

// Version 2: tenant administration (issue 11), as SQLite's version 7. A tenant's
// organizations are listed by id in bounded steps (one index range per tenant); tenant keys
// are found by their public prefix, and only a hash of the secret is stored.
constexpr const char* schema_v2 = R"sql(
CREATE INDEX organizations_by_tenant ON organizations (tenant, id);

CREATE TABLE tenant_keys (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant          text   COLLATE "C" NOT NULL,
  name            text   NOT NULL,
  prefix          text   COLLATE "C" NOT NULL UNIQUE,
  secret_hash     bytea  NOT NULL,
  created_by      text   COLLATE "C" NOT NULL,
  created_by_kind text   NOT NULL,
  created_at      bigint NOT NULL,
  expires_at      bigint,
  revoked_at      bigint
);
CREATE INDEX tenant_keys_by_tenant ON tenant_keys (tenant, id);
)sql";

// Version 3: the listeners of the check caches (change_signal.hpp). Each open store that
// caches checks registers here with a lease it keeps renewing and the highest barrier it has
// heard; a writer, after its commit, waits until every listener whose lease is current has
// heard a barrier it raised after that commit. Barriers come from a sequence: a number taken
// after another one was returned is greater.
constexpr const char* schema_v3 = R"sql(
CREATE TABLE listeners (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lease_until bigint NOT NULL,
  heard       bigint NOT NULL DEFAULT 0
);
CREATE SEQUENCE barriers;
)sql";

struct Migration {
  int to_version;
  const char* sql;
};

constexpr Migration migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
    {3, schema_v3},
};

// The advisory lock key of a schema: FNV-1a of its name, so that stores in other schemas of
// the database migrate independently. A collision only makes two stores migrate in turn.
std::int64_t lock_key(const std::string& schema) {
  std::uint64_t h = 1469598103934665603ull;
  for (const char ch : "orgkit schema " + schema) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}

// The version in `schema`: 0 for a new (or empty) schema. Refuses a schema that holds tables
// but no version: someone else's.
Result<int> current_version(Connection& c, const std::string& schema) {
  const auto tables =
      c.exec("SELECT count(*), count(*) FILTER (WHERE tablename = 'schema_version') "
             "FROM pg_catalog.pg_tables WHERE schemaname = $1",
             schema);
  const auto count = tables[0][0].as<std::int64_t>();
  const auto versioned = tables[0][1].as<std::int64_t>();
  if (versioned == 0) {
    if (count > 0) {
      return fail(Error{ErrorCode::storage, "schema",
                        "the schema holds tables of another application, not an orgkit store; "
                        "orgkit will not add its tables to it"});
    }
    c.exec_direct(
        "CREATE TABLE schema_version (version integer PRIMARY KEY, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
    return 0;
  }
  const auto v = c.exec("SELECT coalesce(max(version), 0) FROM schema_version");
  return v[0][0].as<int>();
}

}  // namespace

Result<void> migrate(Connection& c, const std::string& schema) {
  c.exec_direct("BEGIN");
  c.in_transaction = true;
  c.exec("SELECT pg_advisory_xact_lock($1)", lock_key(schema));
  // Inside the lock: two servers creating the schema at once would otherwise collide.
  c.exec_direct(fmt::format("CREATE SCHEMA IF NOT EXISTS \"{}\"", schema));
  auto version = current_version(c, schema);
  if (!version) {
    c.rollback_quietly();
    return fail(std::move(version).error());
  }
  if (*version > postgres_schema_version) {
    c.rollback_quietly();
    return fail(Error::conflict(
        "schema", fmt::format("the store has schema version {}, newer than this orgkit "
                              "understands ({}); upgrade orgkit",
                              *version, postgres_schema_version)));
  }
  for (const auto& m : migrations) {
    if (m.to_version <= *version) continue;
    c.exec_direct(m.sql);
    c.exec("INSERT INTO schema_version (version) VALUES ($1)", m.to_version);
  }
  c.exec_direct("COMMIT");
  c.in_transaction = false;
  return {};
}

}  // namespace orgkit::postgres
