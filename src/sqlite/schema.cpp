#include "sqlite/schema.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <orgkit/sqlite.hpp>

#include "sqlite/packed.hpp"
#include "sqlite/rows.hpp"

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

// Version 6: the write path of issue 9. Each table a write touches is a B-tree page (4 KiB)
// that the commit writes to the log, so a change writes fewer tables:
// - an audit event is one row of audit_log, keyed by organization and id (no rowid, no
//   separate index), with its field changes packed into a column (sqlite/packed.hpp) where
//   audit_changes held a row per change. Ids come from the commit sequence (the next commit's
//   number, shifted, plus the event's place in its transaction), so they still grow with every
//   event and need no AUTOINCREMENT bookkeeping in sqlite_sequence;
// - an organization's metadata is a packed column, where organization_metadata held a row per
//   entry (one statement fewer on every read of an organization).
// The old rows are moved by move_to_v6, below.
constexpr const char* schema_v6 = R"sql(
CREATE TABLE audit_log (
  org_id     INTEGER NOT NULL,
  id         INTEGER NOT NULL,
  tenant     TEXT    NOT NULL,
  actor      TEXT    NOT NULL,
  actor_kind TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  target     TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  changes    BLOB    NOT NULL,
  PRIMARY KEY (org_id, id)
) WITHOUT ROWID;
ALTER TABLE organizations ADD COLUMN metadata BLOB NOT NULL DEFAULT x'';

-- The state check of version 2 was written "state IN (four values)", which SQLite evaluates
-- with a temporary table built for every row inserted or updated: a third of the cost of an
-- invitation in a CSV import. The same check as comparisons; the table is rebuilt to change it
-- (ids and the AUTOINCREMENT high-water mark are kept).
CREATE TABLE invitations_v6 (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id          INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  tenant          TEXT    NOT NULL,
  kind            TEXT    NOT NULL CHECK (kind = 'email' OR kind = 'link'),
  email           TEXT    NOT NULL DEFAULT '',
  email_key       TEXT    NOT NULL DEFAULT '',
  role            TEXT    NOT NULL,
  department      TEXT    NOT NULL DEFAULT '',
  message         TEXT    NOT NULL DEFAULT '',
  state           TEXT    NOT NULL CHECK (state = 'pending' OR state = 'accepted' OR
                                          state = 'declined' OR state = 'revoked'),
  token_hash      BLOB    NOT NULL UNIQUE,
  invited_by      TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  closed_by       TEXT,
  closed_at       INTEGER,
  invited_by_kind TEXT    NOT NULL DEFAULT 'member'
);
INSERT INTO invitations_v6 (id, org_id, tenant, kind, email, email_key, role, department,
                            message, state, token_hash, invited_by, created_at, expires_at,
                            closed_by, closed_at, invited_by_kind)
  SELECT id, org_id, tenant, kind, email, email_key, role, department, message, state,
         token_hash, invited_by, created_at, expires_at, closed_by, closed_at, invited_by_kind
  FROM invitations;
DELETE FROM sqlite_sequence WHERE name = 'invitations_v6';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'invitations_v6', seq FROM sqlite_sequence WHERE name = 'invitations';
DROP TABLE invitations;
ALTER TABLE invitations_v6 RENAME TO invitations;
CREATE INDEX invitations_by_org ON invitations (org_id, id);
CREATE UNIQUE INDEX invitations_one_pending_email
  ON invitations (org_id, email_key) WHERE state = 'pending' AND kind = 'email';
)sql";

// Moves version 5's audit events, their changes and organization metadata into version 6's
// packed columns, then drops the old tables. Event ids are kept, and the commit sequence is
// raised, if needed, so that the ids of new events stay above them.
void move_to_v6(SQLite::Database& db) {
  {
    SQLite::Statement orgs(db, "SELECT DISTINCT org_id FROM organization_metadata");
    SQLite::Statement entries(db, "SELECT key, value FROM organization_metadata WHERE org_id = ?");
    SQLite::Statement update(db, "UPDATE organizations SET metadata = ? WHERE id = ?");
    while (orgs.executeStep()) {
      const std::int64_t org = orgs.getColumn(0).getInt64();
      std::map<std::string, std::string> md;
      entries.bind(1, org);
      while (entries.executeStep()) {
        md.emplace(entries.getColumn(0).getString(), entries.getColumn(1).getString());
      }
      entries.reset();
      const std::string packed = pack_metadata(md);
      update.bind(1, packed.data(), static_cast<int>(packed.size()));
      update.bind(2, org);
      update.exec();
      update.reset();
    }
  }
  {
    SQLite::Statement events(db,
                             "SELECT id, org_id, tenant, actor, actor_kind, action, target, at "
                             "FROM audit_events ORDER BY id");
    SQLite::Statement changes(
        db, "SELECT field, before, after FROM audit_changes WHERE event_id = ? ORDER BY seq");
    SQLite::Statement insert(db,
                             "INSERT INTO audit_log (org_id, id, tenant, actor, actor_kind, "
                             "action, target, at, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    while (events.executeStep()) {
      std::vector<FieldChange> list;
      changes.bind(1, events.getColumn(0).getInt64());
      while (changes.executeStep()) {
        list.push_back({changes.getColumn(0).getString(), nullable_text(changes.getColumn(1)),
                        nullable_text(changes.getColumn(2))});
      }
      changes.reset();
      const std::string packed = pack_changes(list);
      insert.bind(1, events.getColumn(1).getInt64());
      insert.bind(2, events.getColumn(0).getInt64());
      // tenant, actor, actor_kind, action, target: columns 2-6 to parameters 3-7.
      for (int c = 2; c < 7; ++c) insert.bind(c + 1, events.getColumn(c).getString());
      insert.bind(8, events.getColumn(7).getInt64());
      insert.bind(9, packed.data(), static_cast<int>(packed.size()));
      insert.exec();
      insert.reset();
    }
  }
  db.exec(fmt::format(
      "UPDATE commit_sequence SET sequence = max(sequence, "
      "(SELECT coalesce(max(id), 0) FROM audit_log) >> {})",
      audit_id_shift));
  db.exec("DROP TABLE audit_changes; DROP TABLE audit_events; DROP TABLE organization_metadata;");
}

// Version 7: tenant administration (issue 11). A tenant's organizations are listed by id in
// bounded steps, so they need an index range per tenant. Tenant keys are found by their
// public prefix and checked against a hash of the secret; the secret is never stored.
constexpr const char* schema_v7 = R"sql(
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

// Version 8: commit numbers are taken in the change signal's shared file, and the
// commit_sequence row holds a mark reserved ahead of them (sqlite/change_signal.hpp), where
// every commit used to raise it by one, which wrote a page per commit. No table changes; the
// version keeps an older orgkit, which would count on from the mark by one, off the file.
constexpr const char* schema_v8 = "SELECT 1;";

struct Migration {
  int to_version;
  const char* sql;
  void (*move)(SQLite::Database&) = nullptr;  ///< Moves rows after `sql`, when needed.
};

constexpr Migration migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
    {3, schema_v3},
    {4, schema_v4},
    {5, schema_v5},
    {6, schema_v6, move_to_v6},
    {7, schema_v7},
    {8, schema_v8},
};

}  // namespace

void configure_connection(SQLite::Database& db, const SqliteOptions& options, bool in_memory) {
  db.setBusyTimeout(options.busy_timeout_ms);
  db.exec("PRAGMA foreign_keys = ON");
  if (!in_memory) {
    // journal_mode returns a row; WAL persists in the file, so this is a no-op after the first.
    SQLite::Statement wal(db, "PRAGMA journal_mode = WAL");
    (void)wal.executeStep();
    // NORMAL: a commit survives the process dying at any moment (the log is written before
    // COMMIT returns); FULL also syncs it, so that it survives a power loss.
    db.exec(options.durability == SqliteDurability::power_loss ? "PRAGMA synchronous = FULL"
                                                               : "PRAGMA synchronous = NORMAL");
    // Negative: KiB. A large transaction (a CSV import) that outgrows the page cache spills
    // pages to the WAL and writes them again and again.
    db.exec(fmt::format("PRAGMA cache_size = -{}", options.cache_kib));
    db.exec(fmt::format("PRAGMA wal_autocheckpoint = {}", options.checkpoint_pages));
    if (options.mmap_mib > 0) {  // returns a row: the size SQLite will use
      SQLite::Statement mmap(db, fmt::format("PRAGMA mmap_size = {}",
                                             std::int64_t{options.mmap_mib} * 1024 * 1024));
      (void)mmap.executeStep();
    }
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
    if (m.move != nullptr) m.move(db);
    db.exec(fmt::format("PRAGMA user_version = {}", m.to_version));
  }
  tx.commit();
  return {};
}

void create_schema_at(SQLite::Database& db, int version) {
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  for (const auto& m : migrations) {
    if (m.to_version > version) break;
    db.exec(m.sql);
    if (m.move != nullptr) m.move(db);
    db.exec(fmt::format("PRAGMA user_version = {}", m.to_version));
  }
  tx.commit();
}

}  // namespace orgkit::sqlite
