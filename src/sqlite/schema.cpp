#include <string>
#include "sqlite/schema.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <orgkit/sqlite.hpp>

namespace orgkit::sqlite {

namespace {

// Version 1: organizations, memberships, per-user state, audit trail.
// Audit events deliberately have no foreign key to organizations: the trail of a deleted
// organization stays (O5). AUTOINCREMENT keeps ids of deleted rows from being reused, so an
// audit event never points at a different, newer organization.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE organizations (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant          TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  slug            TEXT    NOT NULL,
  description     TEXT    NOT NULL DEFAULT '',
  legal_name      TEXT    NOT NULL DEFAULT '',
  alerting_email  TEXT    NOT NULL DEFAULT '',
  invoicing_email TEXT    NOT NULL DEFAULT '',
  plan            TEXT    NOT NULL DEFAULT '',
  personal        INTEGER NOT NULL DEFAULT 0,
  created_by      TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  UNIQUE (tenant, slug)
);
CREATE UNIQUE INDEX organizations_one_personal
  ON organizations (tenant, created_by) WHERE personal = 1;

CREATE TABLE organization_metadata (
  org_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  key    TEXT    NOT NULL,
  value  TEXT    NOT NULL,
  PRIMARY KEY (org_id, key)
) WITHOUT ROWID;

CREATE TABLE memberships (
  org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id      TEXT    NOT NULL,
  tenant       TEXT    NOT NULL,
  email        TEXT    NOT NULL,
  display_name TEXT    NOT NULL DEFAULT '',
  role         TEXT    NOT NULL,
  joined_at    INTEGER NOT NULL,
  PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (tenant, user_id);
CREATE INDEX memberships_by_role ON memberships (org_id, role, user_id);

CREATE TABLE user_state (
  tenant        TEXT    NOT NULL,
  user_id       TEXT    NOT NULL,
  active_org_id INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
  PRIMARY KEY (tenant, user_id)
) WITHOUT ROWID;
CREATE INDEX user_state_by_org ON user_state (active_org_id);

CREATE TABLE audit_events (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT    NOT NULL,
  org_id INTEGER NOT NULL,
  actor  TEXT    NOT NULL,
  action TEXT    NOT NULL,
  target TEXT    NOT NULL,
  at     INTEGER NOT NULL
);
CREATE INDEX audit_events_by_org ON audit_events (tenant, org_id, id);

CREATE TABLE audit_changes (
  event_id INTEGER NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
  seq      INTEGER NOT NULL,
  field    TEXT    NOT NULL,
  before   TEXT,
  after    TEXT,
  PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;
)sql";

// Version 2: invitations (I1-I9). Only a hash of each token is stored (I9); at most one
// pending email invitation per organization and address (I8), enforced by a partial index.
constexpr const char* schema_v2 = R"sql(
CREATE TABLE invitations (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  tenant      TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('email', 'link')),
  email       TEXT    NOT NULL DEFAULT '',
  email_key   TEXT    NOT NULL DEFAULT '',
  role        TEXT    NOT NULL,
  department  TEXT    NOT NULL DEFAULT '',
  message     TEXT    NOT NULL DEFAULT '',
  state       TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'declined', 'revoked')),
  token_hash  BLOB    NOT NULL UNIQUE,
  invited_by  TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  closed_by   TEXT,
  closed_at   INTEGER
);
CREATE INDEX invitations_by_org ON invitations (org_id, id);
CREATE UNIQUE INDEX invitations_one_pending_email
  ON invitations (org_id, email_key) WHERE state = 'pending' AND kind = 'email';

-- Members are matched by email when invited (I8): lower() is ASCII-only, like orgkit's key.
ALTER TABLE memberships ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
UPDATE memberships SET email_key = lower(trim(email));
CREATE INDEX memberships_by_email ON memberships (org_id, email_key);
)sql";

// Version 3: custom roles per organization (P6) and API keys (P9). Keys are found by their
// public prefix and checked against a hash of the secret; the secret is never stored.
constexpr const char* schema_v3 = R"sql(
CREATE TABLE org_roles (
  org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name        TEXT    NOT NULL,
  rank        INTEGER NOT NULL,
  permissions TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (org_id, name)
) WITHOUT ROWID;

CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  tenant       TEXT    NOT NULL,
  name         TEXT    NOT NULL,
  role         TEXT    NOT NULL,
  prefix       TEXT    NOT NULL UNIQUE,
  secret_hash  BLOB    NOT NULL,
  created_by   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, id);
)sql";

// Version 4: commit tokens and principals (issue 7). One row counts commits: each write
// transaction that changed something bumps it before COMMIT, under SQLite's write lock, so
// the counter's order is the commit order. Audit events and invitations record what kind of
// principal acted.
constexpr const char* schema_v4 = R"sql(
CREATE TABLE commit_sequence (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  sequence INTEGER NOT NULL
);
INSERT INTO commit_sequence (id, sequence) VALUES (1, 0);
ALTER TABLE audit_events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'member';
ALTER TABLE invitations ADD COLUMN invited_by_kind TEXT NOT NULL DEFAULT 'member';
-- The per-user creation limit counts a user's organizations inside the write transaction.
CREATE INDEX organizations_by_creator ON organizations (tenant, created_by, personal);
)sql";

// Version 5: a membership keeps the department its invitation carried (issue 8).
constexpr const char* schema_v5 = R"sql(
ALTER TABLE memberships ADD COLUMN department TEXT NOT NULL DEFAULT '';
)sql";

// Version 6: tenant administration (issue 11). A tenant's organizations are listed by id in
// bounded steps, so they need an index range per tenant. Tenant keys are found by their
// public prefix and checked against a hash of the secret; the secret is never stored. One
// self-contained step: another branch may add its own migration, renumbered at merge.
constexpr const char* schema_v6 = R"sql(
CREATE INDEX organizations_by_tenant ON organizations (tenant, id);

CREATE TABLE tenant_keys (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant          TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  prefix          TEXT    NOT NULL UNIQUE,
  secret_hash     BLOB    NOT NULL,
  created_by      TEXT    NOT NULL,
  created_by_kind TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER,
  revoked_at      INTEGER
);
CREATE INDEX tenant_keys_by_tenant ON tenant_keys (tenant, id);
)sql";

struct Migration {
  int to_version;
  const char* sql;
};

constexpr Migration migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
    {3, schema_v3},
    {4, schema_v4},
    {5, schema_v5},
    {6, schema_v6},
};

}  // namespace

void configure_connection(SQLite::Database& db, int busy_timeout_ms, bool in_memory,
                          int cache_kib) {
  db.setBusyTimeout(busy_timeout_ms);
  db.exec("PRAGMA foreign_keys = ON");
  if (!in_memory) {
    // journal_mode returns a row; WAL persists in the file, so this is a no-op after the first.
    SQLite::Statement wal(db, "PRAGMA journal_mode = WAL");
    (void)wal.executeStep();
    db.exec("PRAGMA synchronous = NORMAL");
    // Negative: KiB. A large transaction (a CSV import) that outgrows the page cache spills
    // pages to the WAL and writes them again and again.
    db.exec("PRAGMA cache_size = -" + std::to_string(cache_kib));
  }
}

Result<void> migrate(SQLite::Database& db) {
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  const int version = db.execAndGet("PRAGMA user_version").getInt();
  if (version > sqlite_schema_version) {
    return fail(Error::conflict(
        "path", fmt::format("the database has schema version {}, newer than this orgkit "
                            "understands ({}); upgrade orgkit",
                            version, sqlite_schema_version)));
  }
  if (version == 0) {
    // A new file has no tables; one with tables but no orgkit version belongs to someone else.
    const int tables = db.execAndGet("SELECT count(*) FROM sqlite_master WHERE type = 'table'").getInt();
    if (tables > 0) {
      return fail(Error{ErrorCode::storage, "path",
                        "the file is a SQLite database of another application, not an orgkit "
                        "database; orgkit will not add its tables to it"});
    }
  }
  for (const auto& m : migrations) {
    if (m.to_version <= version) continue;
    db.exec(m.sql);
    db.exec(fmt::format("PRAGMA user_version = {}", m.to_version));
  }
  tx.commit();
  return {};
}

}  // namespace orgkit::sqlite
