// The bundled SQLite storage: a guarded pool of connections, each with its own prepared
// statements. SQLiteCpp throws; every entry point here catches and maps to orgkit::Error in
// exactly one function (map_error), so no exception and no SQL text leaves this file.
#include <chrono>
#include <condition_variable>
#include <optional>
#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <orgkit/sqlite.hpp>

#include "sqlite/schema.hpp"

namespace orgkit {
namespace {

// The one place where SQLite's errors become orgkit's. `unique_field` names the key a unique
// constraint protects in the operation at hand.
Error map_error(const SQLite::Exception& e, std::string_view operation,
                std::string_view unique_field = {}) {
  const int code = e.getErrorCode();
  const int extended = e.getExtendedErrorCode();
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    return {ErrorCode::unavailable, {},
            fmt::format("{}: the database stayed busy longer than the busy timeout", operation)};
  }
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error::exists(std::string(unique_field), fmt::format("{}: already exists", operation));
  }
  if (extended == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Error::not_found({}, fmt::format("{}: a referenced record does not exist", operation));
  }
  return Error::storage_failure(
      fmt::format("{} failed: {} (sqlite code {})", operation, sqlite3_errstr(extended), extended));
}

// Runs `f`, turning any exception into an Error; the return type is f's Result<T>.
template <class F>
auto guarded(std::string_view operation, F&& f, std::string_view unique_field = {})
    -> decltype(f()) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, operation, unique_field));
  } catch (const std::bad_alloc&) {
    return fail(Error::storage_failure(fmt::format("{}: out of memory", operation)));
  } catch (const std::exception& e) {
    return fail(Error::storage_failure(fmt::format("{} failed: {}", operation, e.what())));
  }
}

// One connection and its prepared statements, keyed by the address of their SQL literal.
struct Connection {
  Connection(const std::string& path, int busy_timeout_ms, bool in_memory)
      : db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {
    sqlite::configure_connection(db, busy_timeout_ms, in_memory);
  }

  SQLite::Statement& statement(const char* sql) {
    auto it = statements.find(sql);
    if (it == statements.end()) {
      it = statements.emplace(sql, std::make_unique<SQLite::Statement>(db, sql)).first;
    }
    SQLite::Statement& s = *it->second;
    // tryReset, not reset: after a failed step reset() rethrows that step's error.
    (void)s.tryReset();
    s.clearBindings();
    return s;
  }

  // Resets every cached statement. A statement left mid-result (a lookup that read only its
  // first row) keeps the connection's read snapshot open: the connection would go on seeing
  // old data, including in check(), and SQLite would not call the busy handler for it, so
  // its next writer would fail at once instead of waiting. Run before a transaction ends.
  void reset_all() noexcept {
    for (auto& entry : statements) (void)entry.second->tryReset();
  }

  SQLite::Database db;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements;
};

class Pool;

// A connection borrowed from the pool; given back when destroyed.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  Pool(std::string path, int busy_timeout_ms, int max_connections, bool in_memory)
      : path_(std::move(path)),
        busy_timeout_ms_(busy_timeout_ms),
        max_(max_connections),
        in_memory_(in_memory) {
    idle_.reserve(static_cast<std::size_t>(max_connections));
  }

  // Throws SQLite::Exception if a new connection cannot be opened, or (as SQLITE_BUSY) if
  // every connection stayed in use for the busy timeout: a caller that holds the only
  // connection of ":memory:" and asks for another gets an error, not a hang.
  Lease acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::milliseconds(busy_timeout_ms_),
                      [&] { return !idle_.empty() || open_ < max_; })) {
      throw SQLite::Exception("all connections are in use", SQLITE_BUSY);
    }
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
    ++open_;
    lock.unlock();
    try {
      return Lease(this, std::make_unique<Connection>(path_, busy_timeout_ms_, in_memory_));
    } catch (...) {
      lock.lock();
      --open_;
      cv_.notify_one();
      throw;
    }
  }

  void release(std::unique_ptr<Connection> c) {
    c->reset_all();  // backstop: no connection goes back to the pool holding a snapshot
    // Nor holding a transaction (say, BEGIN succeeded and what followed threw): it would
    // keep the write lock from every other connection and process.
    if (sqlite3_get_autocommit(c->db.getHandle()) == 0) (void)c->db.tryExec("ROLLBACK");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

 private:
  std::string path_;
  int busy_timeout_ms_;
  int max_;
  bool in_memory_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

// --- row mapping -----------------------------------------------------------------------

Organization read_org(SQLite::Statement& s) {
  Organization o;
  o.id = OrgId(s.getColumn(0).getInt64());
  o.tenant = TenantId(s.getColumn(1).getString());
  o.name = s.getColumn(2).getString();
  o.slug = s.getColumn(3).getString();
  o.description = s.getColumn(4).getString();
  o.legal_name = s.getColumn(5).getString();
  o.alerting_email = s.getColumn(6).getString();
  o.invoicing_email = s.getColumn(7).getString();
  o.plan = s.getColumn(8).getString();
  o.personal = s.getColumn(9).getInt() != 0;
  o.created_by = UserId(s.getColumn(10).getString());
  o.created_at = from_unix_ms(s.getColumn(11).getInt64());
  return o;
}

Membership read_membership(SQLite::Statement& s) {
  Membership m;
  m.org = OrgId(s.getColumn(0).getInt64());
  m.user = UserId(s.getColumn(1).getString());
  m.email = s.getColumn(2).getString();
  m.display_name = s.getColumn(3).getString();
  m.role = s.getColumn(4).getString();
  m.joined_at = from_unix_ms(s.getColumn(5).getInt64());
  return m;
}

// Invitation rows are read with these columns, in this order (read_invitation).
#define ORGKIT_INVITATION_COLUMNS                                                        \
  "id, org_id, kind, email, role, department, message, state, invited_by, created_at, " \
  "expires_at, closed_by, closed_at"

InvitationState parse_state(const std::string& s) {
  if (s == "accepted") return InvitationState::accepted;
  if (s == "declined") return InvitationState::declined;
  if (s == "revoked") return InvitationState::revoked;
  return InvitationState::pending;
}

// Columns in the order of ORGKIT_INVITATION_COLUMNS, starting at column 0.
Invitation read_invitation(SQLite::Statement& s) {
  Invitation i;
  i.id = InvitationId(s.getColumn(0).getInt64());
  i.org = OrgId(s.getColumn(1).getInt64());
  i.kind = s.getColumn(2).getString() == "link" ? InvitationKind::link : InvitationKind::email;
  i.email = s.getColumn(3).getString();
  i.role = s.getColumn(4).getString();
  i.department = s.getColumn(5).getString();
  i.message = s.getColumn(6).getString();
  i.state = parse_state(s.getColumn(7).getString());
  i.invited_by = UserId(s.getColumn(8).getString());
  i.created_at = from_unix_ms(s.getColumn(9).getInt64());
  i.expires_at = from_unix_ms(s.getColumn(10).getInt64());
  if (!s.getColumn(11).isNull()) i.closed_by = UserId(s.getColumn(11).getString());
  if (!s.getColumn(12).isNull()) i.closed_at = from_unix_ms(s.getColumn(12).getInt64());
  return i;
}

CustomRole read_custom_role(SQLite::Statement& s) {
  CustomRole r;
  r.name = s.getColumn(0).getString();
  r.rank = s.getColumn(1).getInt();
  const std::string words = s.getColumn(2).getString();
  std::size_t start = 0;
  while (start < words.size()) {
    std::size_t end = words.find(' ', start);
    if (end == std::string::npos) end = words.size();
    if (end > start) r.permissions.push_back(words.substr(start, end - start));
    start = end + 1;
  }
  r.created_at = from_unix_ms(s.getColumn(3).getInt64());
  return r;
}

// Permission names have no spaces (validate::permission_name), so a space separates them.
std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

// API key rows are read with these columns, in this order (read_api_key).
#define ORGKIT_API_KEY_COLUMNS                                                              \
  "id, org_id, name, role, prefix, created_by, created_at, expires_at, revoked_at, " \
  "last_used_at"

std::optional<Timestamp> nullable_time(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return from_unix_ms(c.getInt64());
}

ApiKey read_api_key(SQLite::Statement& s) {
  ApiKey k;
  k.id = ApiKeyId(s.getColumn(0).getInt64());
  k.org = OrgId(s.getColumn(1).getInt64());
  k.name = s.getColumn(2).getString();
  k.role = s.getColumn(3).getString();
  k.prefix = s.getColumn(4).getString();
  k.created_by = UserId(s.getColumn(5).getString());
  k.created_at = from_unix_ms(s.getColumn(6).getInt64());
  k.expires_at = nullable_time(s.getColumn(7));
  k.revoked_at = nullable_time(s.getColumn(8));
  k.last_used_at = nullable_time(s.getColumn(9));
  return k;
}

// A BLOB column (a hash) as bytes.
std::string blob(const SQLite::Column& c) {
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
}

std::optional<std::string> nullable_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

// --- transaction -----------------------------------------------------------------------

class SqliteTransaction final : public StorageTransaction {
 public:
  explicit SqliteTransaction(Lease lease) : lease_(std::move(lease)) {}

  ~SqliteTransaction() override {
    if (lease_) {
      (*lease_)->reset_all();
      (void)(*lease_)->db.tryExec("ROLLBACK");
    }
  }

  Result<void> commit() override {
    if (!lease_) return fail(Error::storage_failure("commit: the transaction has ended"));
    (*lease_)->reset_all();
    auto committed = guarded("commit", [&]() -> Result<void> {
      (*lease_)->db.exec("COMMIT");
      return {};
    });
    // A failed COMMIT can leave the transaction open; never hand such a connection back.
    if (!committed) (void)(*lease_)->db.tryExec("ROLLBACK");
    lease_.reset();  // the connection goes back to the pool now, not when this object dies
    return committed;
  }

  Result<OrgId> insert_organization(const Organization& org) override {
    return guarded(
        "create organization",
        [&]() -> Result<OrgId> {
          auto& s = stmt(
              "INSERT INTO organizations (tenant, name, slug, description, legal_name, "
              "alerting_email, invoicing_email, plan, personal, created_by, created_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
          s.bind(1, org.tenant.value());
          s.bind(2, org.name);
          s.bind(3, org.slug);
          s.bind(4, org.description);
          s.bind(5, org.legal_name);
          s.bind(6, org.alerting_email);
          s.bind(7, org.invoicing_email);
          s.bind(8, org.plan);
          s.bind(9, org.personal ? 1 : 0);
          s.bind(10, org.created_by.value());
          s.bind(11, to_unix_ms(org.created_at));
          s.exec();
          const OrgId id((*lease_)->db.getLastInsertRowid());
          write_metadata(id, org.metadata);
          return id;
        },
        "slug");
  }

  Result<std::optional<Organization>> find_organization(const TenantId& tenant,
                                                        OrgId id) override {
    return guarded("read organization", [&]() -> Result<std::optional<Organization>> {
      auto& s = stmt(select_org_by_id);
      s.bind(1, id.value());
      s.bind(2, tenant.value());
      if (!s.executeStep()) return std::optional<Organization>();
      Organization o = read_org(s);
      o.metadata = read_metadata(o.id);
      return std::optional<Organization>(std::move(o));
    });
  }

  Result<bool> slug_taken(const TenantId& tenant, std::string_view slug) override {
    return guarded("read slug", [&]() -> Result<bool> {
      auto& s = stmt("SELECT 1 FROM organizations WHERE tenant = ? AND slug = ?");
      s.bind(1, tenant.value());
      s.bind(2, std::string(slug));
      return s.executeStep();
    });
  }

  Result<void> update_organization(const Organization& org) override {
    return guarded("update organization", [&]() -> Result<void> {
      auto& s = stmt(
          "UPDATE organizations SET name = ?, description = ?, legal_name = ?, "
          "alerting_email = ?, invoicing_email = ?, plan = ? WHERE id = ? AND tenant = ?");
      s.bind(1, org.name);
      s.bind(2, org.description);
      s.bind(3, org.legal_name);
      s.bind(4, org.alerting_email);
      s.bind(5, org.invoicing_email);
      s.bind(6, org.plan);
      s.bind(7, org.id.value());
      s.bind(8, org.tenant.value());
      if (s.exec() != 1) return fail(Error::not_found("org_id", "no such organization"));
      auto& del = stmt("DELETE FROM organization_metadata WHERE org_id = ?");
      del.bind(1, org.id.value());
      del.exec();
      write_metadata(org.id, org.metadata);
      return {};
    });
  }

  Result<void> delete_organization(const TenantId& tenant, OrgId id) override {
    return guarded("delete organization", [&]() -> Result<void> {
      auto& s = stmt("DELETE FROM organizations WHERE id = ? AND tenant = ?");
      s.bind(1, id.value());
      s.bind(2, tenant.value());
      if (s.exec() != 1) return fail(Error::not_found("org_id", "no such organization"));
      return {};
    });
  }

  Result<std::vector<MyOrganization>> organizations_of(const TenantId& tenant,
                                                       const UserId& user) override {
    return guarded("list organizations", [&]() -> Result<std::vector<MyOrganization>> {
      auto& s = stmt(select_orgs_of_user);
      s.bind(1, tenant.value());
      s.bind(2, user.value());
      std::vector<MyOrganization> out;
      while (s.executeStep()) {
        MyOrganization mo;
        mo.organization = read_org(s);
        mo.role = s.getColumn(12).getString();
        out.push_back(std::move(mo));
      }
      for (auto& mo : out) mo.organization.metadata = read_metadata(mo.organization.id);
      return out;
    });
  }

  Result<std::optional<OrgId>> personal_organization_of(const TenantId& tenant,
                                                        const UserId& user) override {
    return guarded("read personal organization", [&]() -> Result<std::optional<OrgId>> {
      auto& s = stmt(
          "SELECT id FROM organizations WHERE tenant = ? AND created_by = ? AND personal = 1");
      s.bind(1, tenant.value());
      s.bind(2, user.value());
      if (!s.executeStep()) return std::optional<OrgId>();
      return std::optional<OrgId>(OrgId(s.getColumn(0).getInt64()));
    });
  }

  Result<void> insert_membership(const TenantId& tenant, const Membership& m) override {
    return guarded(
        "add member",
        [&]() -> Result<void> {
          auto& s = stmt(
              "INSERT INTO memberships (org_id, user_id, tenant, email, display_name, role, "
              "joined_at, email_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, lower(trim(?4)))");
          s.bind(1, m.org.value());
          s.bind(2, m.user.value());
          s.bind(3, tenant.value());
          s.bind(4, m.email);
          s.bind(5, m.display_name);
          s.bind(6, m.role);
          s.bind(7, to_unix_ms(m.joined_at));
          s.exec();
          return {};
        },
        "user_id");
  }

  Result<std::optional<Membership>> find_membership(const TenantId& tenant, OrgId org,
                                                    const UserId& user) override {
    return guarded("read member", [&]() -> Result<std::optional<Membership>> {
      auto& s = stmt(
          "SELECT org_id, user_id, email, display_name, role, joined_at FROM memberships "
          "WHERE org_id = ? AND user_id = ? AND tenant = ?");
      s.bind(1, org.value());
      s.bind(2, user.value());
      s.bind(3, tenant.value());
      if (!s.executeStep()) return std::optional<Membership>();
      return std::optional<Membership>(read_membership(s));
    });
  }

  Result<void> update_membership_role(OrgId org, const UserId& user,
                                      std::string_view role) override {
    return guarded("change role", [&]() -> Result<void> {
      auto& s = stmt("UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?");
      s.bind(1, std::string(role));
      s.bind(2, org.value());
      s.bind(3, user.value());
      if (s.exec() != 1) return fail(Error::not_found("user_id", "no such member"));
      return {};
    });
  }

  Result<void> delete_membership(OrgId org, const UserId& user) override {
    return guarded("remove member", [&]() -> Result<void> {
      auto& s = stmt("DELETE FROM memberships WHERE org_id = ? AND user_id = ?");
      s.bind(1, org.value());
      s.bind(2, user.value());
      if (s.exec() != 1) return fail(Error::not_found("user_id", "no such member"));
      return {};
    });
  }

  Result<std::vector<Membership>> list_memberships(OrgId org,
                                                   const std::optional<std::string>& role,
                                                   const std::string& after_user,
                                                   int limit) override {
    return guarded("list members", [&]() -> Result<std::vector<Membership>> {
      auto& s = role ? stmt(
                           "SELECT org_id, user_id, email, display_name, role, joined_at "
                           "FROM memberships WHERE org_id = ?1 AND role = ?4 AND user_id > ?2 "
                           "ORDER BY user_id LIMIT ?3")
                     : stmt(
                           "SELECT org_id, user_id, email, display_name, role, joined_at "
                           "FROM memberships WHERE org_id = ?1 AND user_id > ?2 "
                           "ORDER BY user_id LIMIT ?3");
      s.bind(1, org.value());
      s.bind(2, after_user);
      s.bind(3, limit);
      if (role) s.bind(4, *role);
      std::vector<Membership> out;
      while (s.executeStep()) out.push_back(read_membership(s));
      return out;
    });
  }

  Result<std::int64_t> count_memberships(OrgId org,
                                         const std::optional<std::string>& role) override {
    return guarded("count members", [&]() -> Result<std::int64_t> {
      auto& s = role ? stmt("SELECT count(*) FROM memberships WHERE org_id = ? AND role = ?")
                     : stmt("SELECT count(*) FROM memberships WHERE org_id = ?");
      s.bind(1, org.value());
      if (role) s.bind(2, *role);
      (void)s.executeStep();
      return s.getColumn(0).getInt64();
    });
  }

  Result<std::optional<OrgId>> active_organization(const TenantId& tenant,
                                                   const UserId& user) override {
    return guarded("read active organization", [&]() -> Result<std::optional<OrgId>> {
      auto& s = stmt("SELECT active_org_id FROM user_state WHERE tenant = ? AND user_id = ?");
      s.bind(1, tenant.value());
      s.bind(2, user.value());
      if (!s.executeStep() || s.getColumn(0).isNull()) return std::optional<OrgId>();
      return std::optional<OrgId>(OrgId(s.getColumn(0).getInt64()));
    });
  }

  Result<void> set_active_organization(const TenantId& tenant, const UserId& user,
                                       std::optional<OrgId> org) override {
    return guarded("set active organization", [&]() -> Result<void> {
      auto& s = stmt(
          "INSERT INTO user_state (tenant, user_id, active_org_id) VALUES (?, ?, ?) "
          "ON CONFLICT (tenant, user_id) DO UPDATE SET active_org_id = excluded.active_org_id");
      s.bind(1, tenant.value());
      s.bind(2, user.value());
      if (org) {
        s.bind(3, org->value());
      } else {
        s.bind(3);
      }
      s.exec();
      return {};
    });
  }

  Result<AuditEventId> append_audit_event(const AuditEvent& e) override {
    return guarded("write audit event", [&]() -> Result<AuditEventId> {
      auto& s = stmt(
          "INSERT INTO audit_events (tenant, org_id, actor, action, target, at) "
          "VALUES (?, ?, ?, ?, ?, ?)");
      s.bind(1, e.tenant.value());
      s.bind(2, e.org.value());
      s.bind(3, e.actor.value());
      s.bind(4, e.action);
      s.bind(5, e.target);
      s.bind(6, to_unix_ms(e.at));
      s.exec();
      const std::int64_t id = (*lease_)->db.getLastInsertRowid();
      int seq = 0;
      for (const auto& c : e.changes) {
        auto& ch = stmt(
            "INSERT INTO audit_changes (event_id, seq, field, before, after) "
            "VALUES (?, ?, ?, ?, ?)");
        ch.bind(1, id);
        ch.bind(2, seq++);
        ch.bind(3, c.field);
        if (c.before) ch.bind(4, *c.before); else ch.bind(4);
        if (c.after) ch.bind(5, *c.after); else ch.bind(5);
        ch.exec();
      }
      return AuditEventId(id);
    });
  }

  Result<std::vector<AuditEvent>> list_audit_events(const TenantId& tenant, OrgId org,
                                                    std::optional<AuditEventId> before,
                                                    int limit) override {
    return guarded("list audit events", [&]() -> Result<std::vector<AuditEvent>> {
      auto& s = stmt(
          "SELECT id, tenant, org_id, actor, action, target, at FROM audit_events "
          "WHERE tenant = ? AND org_id = ? AND id < ? ORDER BY id DESC LIMIT ?");
      s.bind(1, tenant.value());
      s.bind(2, org.value());
      s.bind(3, before ? before->value() : INT64_MAX);
      s.bind(4, limit);
      std::vector<AuditEvent> out;
      while (s.executeStep()) {
        AuditEvent e;
        e.id = AuditEventId(s.getColumn(0).getInt64());
        e.tenant = TenantId(s.getColumn(1).getString());
        e.org = OrgId(s.getColumn(2).getInt64());
        e.actor = UserId(s.getColumn(3).getString());
        e.action = s.getColumn(4).getString();
        e.target = s.getColumn(5).getString();
        e.at = from_unix_ms(s.getColumn(6).getInt64());
        out.push_back(std::move(e));
      }
      for (auto& e : out) {
        auto& ch = stmt(
            "SELECT field, before, after FROM audit_changes WHERE event_id = ? ORDER BY seq");
        ch.bind(1, e.id.value());
        while (ch.executeStep()) {
          e.changes.push_back(
              {ch.getColumn(0).getString(), nullable_text(ch.getColumn(1)),
               nullable_text(ch.getColumn(2))});
        }
      }
      return out;
    });
  }

  Result<InvitationId> insert_invitation(const TenantId& tenant, const Invitation& inv,
                                         std::string_view email_key,
                                         std::string_view token_hash) override {
    return guarded(
        "create invitation",
        [&]() -> Result<InvitationId> {
          auto& s = stmt(
              "INSERT INTO invitations (org_id, tenant, kind, email, email_key, role, department, "
              "message, state, token_hash, invited_by, created_at, expires_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)");
          s.bind(1, inv.org.value());
          s.bind(2, tenant.value());
          s.bind(3, std::string(to_string(inv.kind)));
          s.bind(4, inv.email);
          s.bind(5, std::string(email_key));
          s.bind(6, inv.role);
          s.bind(7, inv.department);
          s.bind(8, inv.message);
          s.bind(9, token_hash.data(), static_cast<int>(token_hash.size()));
          s.bind(10, inv.invited_by.value());
          s.bind(11, to_unix_ms(inv.created_at));
          s.bind(12, to_unix_ms(inv.expires_at));
          s.exec();
          return InvitationId((*lease_)->db.getLastInsertRowid());
        },
        "token");
  }

  Result<std::optional<StoredInvitation>> find_invitation_by_token(
      std::string_view token_hash) override {
    return guarded("read invitation", [&]() -> Result<std::optional<StoredInvitation>> {
      auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS ", tenant, token_hash "
                     "FROM invitations WHERE token_hash = ?");
      s.bind(1, token_hash.data(), static_cast<int>(token_hash.size()));
      if (!s.executeStep()) return std::optional<StoredInvitation>();
      StoredInvitation stored;
      stored.invitation = read_invitation(s);
      stored.tenant = TenantId(s.getColumn(13).getString());
      stored.token_hash = blob(s.getColumn(14));
      return std::optional<StoredInvitation>(std::move(stored));
    });
  }

  Result<std::optional<Invitation>> find_invitation(const TenantId& tenant, OrgId org,
                                                    InvitationId id) override {
    return guarded("read invitation", [&]() -> Result<std::optional<Invitation>> {
      auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS
                     " FROM invitations WHERE id = ? AND org_id = ? AND tenant = ?");
      s.bind(1, id.value());
      s.bind(2, org.value());
      s.bind(3, tenant.value());
      if (!s.executeStep()) return std::optional<Invitation>();
      return std::optional<Invitation>(read_invitation(s));
    });
  }

  Result<std::optional<Invitation>> find_pending_email_invitation(
      OrgId org, std::string_view email_key) override {
    return guarded("read invitation", [&]() -> Result<std::optional<Invitation>> {
      auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS
                     " FROM invitations WHERE org_id = ? AND email_key = ? AND "
                     "state = 'pending' AND kind = 'email'");
      s.bind(1, org.value());
      s.bind(2, std::string(email_key));
      if (!s.executeStep()) return std::optional<Invitation>();
      return std::optional<Invitation>(read_invitation(s));
    });
  }

  Result<void> reissue_invitation(OrgId org, InvitationId id, const Invitation& inv,
                                  std::string_view token_hash) override {
    return guarded(
        "reissue invitation",
        [&]() -> Result<void> {
          auto& s = stmt(
              "UPDATE invitations SET token_hash = ?, role = ?, department = ?, message = ?, "
              "invited_by = ?, created_at = ?, expires_at = ? "
              "WHERE id = ? AND org_id = ? AND state = 'pending'");
          s.bind(1, token_hash.data(), static_cast<int>(token_hash.size()));
          s.bind(2, inv.role);
          s.bind(3, inv.department);
          s.bind(4, inv.message);
          s.bind(5, inv.invited_by.value());
          s.bind(6, to_unix_ms(inv.created_at));
          s.bind(7, to_unix_ms(inv.expires_at));
          s.bind(8, id.value());
          s.bind(9, org.value());
          if (s.exec() != 1) {
            return fail(Error::not_found("invitation_id", "no pending invitation with this id"));
          }
          return {};
        },
        "token");
  }

  Result<bool> close_invitation(OrgId org, InvitationId id, InvitationState to,
                                const UserId& by, Timestamp at) override {
    return guarded("close invitation", [&]() -> Result<bool> {
      auto& s = stmt(
          "UPDATE invitations SET state = ?, closed_by = ?, closed_at = ? "
          "WHERE id = ? AND org_id = ? AND state = 'pending'");
      s.bind(1, std::string(to_string(to)));
      s.bind(2, by.value());
      s.bind(3, to_unix_ms(at));
      s.bind(4, id.value());
      s.bind(5, org.value());
      return s.exec() == 1;
    });
  }

  Result<std::vector<Invitation>> list_invitations(OrgId org,
                                                   std::optional<InvitationState> state,
                                                   Timestamp now,
                                                   std::optional<InvitationId> before,
                                                   int limit) override {
    return guarded("list invitations", [&]() -> Result<std::vector<Invitation>> {
      // ?3 is the state filter: '' for all; 'pending' and 'expired' compare with now (?4).
      auto& s = stmt("SELECT " ORGKIT_INVITATION_COLUMNS
                     " FROM invitations WHERE org_id = ?1 AND id < ?2 AND ("
                     "?3 = '' OR "
                     "(?3 = 'pending' AND state = 'pending' AND expires_at > ?4) OR "
                     "(?3 = 'expired' AND state = 'pending' AND expires_at <= ?4) OR "
                     "(?3 NOT IN ('pending', 'expired') AND state = ?3)) "
                     "ORDER BY id DESC LIMIT ?5");
      s.bind(1, org.value());
      s.bind(2, before ? before->value() : INT64_MAX);
      s.bind(3, state ? std::string(to_string(*state)) : std::string());
      s.bind(4, to_unix_ms(now));
      s.bind(5, limit);
      std::vector<Invitation> out;
      while (s.executeStep()) out.push_back(read_invitation(s));
      return out;
    });
  }

  Result<std::optional<Membership>> find_membership_by_email(
      OrgId org, std::string_view email_key) override {
    return guarded("read member", [&]() -> Result<std::optional<Membership>> {
      auto& s = stmt(
          "SELECT org_id, user_id, email, display_name, role, joined_at FROM memberships "
          "WHERE org_id = ? AND email_key = ?");
      s.bind(1, org.value());
      s.bind(2, std::string(email_key));
      if (!s.executeStep()) return std::optional<Membership>();
      return std::optional<Membership>(read_membership(s));
    });
  }

  Result<std::int64_t> count_pending_invitations(OrgId org, Timestamp now) override {
    return guarded("count invitations", [&]() -> Result<std::int64_t> {
      auto& s = stmt(
          "SELECT count(*) FROM invitations WHERE org_id = ? AND state = 'pending' AND "
          "expires_at > ?");
      s.bind(1, org.value());
      s.bind(2, to_unix_ms(now));
      (void)s.executeStep();
      return s.getColumn(0).getInt64();
    });
  }

  Result<std::optional<CustomRole>> find_custom_role(OrgId org, std::string_view name) override {
    return guarded("read role", [&]() -> Result<std::optional<CustomRole>> {
      auto& s = stmt("SELECT name, rank, permissions, created_at FROM org_roles "
                     "WHERE org_id = ? AND name = ?");
      s.bind(1, org.value());
      s.bind(2, std::string(name));
      if (!s.executeStep()) return std::optional<CustomRole>();
      return std::optional<CustomRole>(read_custom_role(s));
    });
  }

  Result<std::vector<CustomRole>> list_custom_roles(OrgId org) override {
    return guarded("list roles", [&]() -> Result<std::vector<CustomRole>> {
      auto& s = stmt("SELECT name, rank, permissions, created_at FROM org_roles "
                     "WHERE org_id = ? ORDER BY name");
      s.bind(1, org.value());
      std::vector<CustomRole> out;
      while (s.executeStep()) out.push_back(read_custom_role(s));
      return out;
    });
  }

  Result<void> insert_custom_role(OrgId org, const CustomRole& role) override {
    return guarded(
        "create role",
        [&]() -> Result<void> {
          auto& s = stmt("INSERT INTO org_roles (org_id, name, rank, permissions, created_at) "
                         "VALUES (?, ?, ?, ?, ?)");
          s.bind(1, org.value());
          s.bind(2, role.name);
          s.bind(3, role.rank);
          s.bind(4, join_words(role.permissions));
          s.bind(5, to_unix_ms(role.created_at));
          s.exec();
          return {};
        },
        "name");
  }

  Result<void> update_custom_role(OrgId org, std::string_view name,
                                  const CustomRole& role) override {
    return guarded(
        "update role",
        [&]() -> Result<void> {
          auto& s = stmt("UPDATE org_roles SET name = ?, rank = ?, permissions = ? "
                         "WHERE org_id = ? AND name = ?");
          s.bind(1, role.name);
          s.bind(2, role.rank);
          s.bind(3, join_words(role.permissions));
          s.bind(4, org.value());
          s.bind(5, std::string(name));
          if (s.exec() != 1) return fail(Error::not_found("role", "no such role"));
          return {};
        },
        "name");
  }

  Result<void> delete_custom_role(OrgId org, std::string_view name) override {
    return guarded("delete role", [&]() -> Result<void> {
      auto& s = stmt("DELETE FROM org_roles WHERE org_id = ? AND name = ?");
      s.bind(1, org.value());
      s.bind(2, std::string(name));
      if (s.exec() != 1) return fail(Error::not_found("role", "no such role"));
      return {};
    });
  }

  Result<std::int64_t> reassign_role(OrgId org, std::string_view from,
                                     std::string_view to) override {
    return guarded("reassign role", [&]() -> Result<std::int64_t> {
      auto& m = stmt("UPDATE memberships SET role = ?1 WHERE org_id = ?2 AND role = ?3");
      m.bind(1, std::string(to));
      m.bind(2, org.value());
      m.bind(3, std::string(from));
      const std::int64_t moved = m.exec();
      auto& k = stmt("UPDATE api_keys SET role = ?1 WHERE org_id = ?2 AND role = ?3 "
                     "AND revoked_at IS NULL");
      k.bind(1, std::string(to));
      k.bind(2, org.value());
      k.bind(3, std::string(from));
      k.exec();
      auto& i = stmt("UPDATE invitations SET role = ?1 WHERE org_id = ?2 AND role = ?3 "
                     "AND state = 'pending'");
      i.bind(1, std::string(to));
      i.bind(2, org.value());
      i.bind(3, std::string(from));
      i.exec();
      return moved;
    });
  }

  Result<std::int64_t> count_role_holders(OrgId org, std::string_view role) override {
    return guarded("count role holders", [&]() -> Result<std::int64_t> {
      auto& s = stmt(
          "SELECT (SELECT count(*) FROM memberships WHERE org_id = ?1 AND role = ?2) + "
          "(SELECT count(*) FROM api_keys WHERE org_id = ?1 AND role = ?2 "
          "AND revoked_at IS NULL) + "
          "(SELECT count(*) FROM invitations WHERE org_id = ?1 AND role = ?2 "
          "AND state = 'pending')");
      s.bind(1, org.value());
      s.bind(2, std::string(role));
      (void)s.executeStep();
      return s.getColumn(0).getInt64();
    });
  }

  Result<ApiKeyId> insert_api_key(const TenantId& tenant, const ApiKey& key,
                                  std::string_view secret_hash) override {
    return guarded(
        "create API key",
        [&]() -> Result<ApiKeyId> {
          auto& s = stmt(
              "INSERT INTO api_keys (org_id, tenant, name, role, prefix, secret_hash, created_by, "
              "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
          s.bind(1, key.org.value());
          s.bind(2, tenant.value());
          s.bind(3, key.name);
          s.bind(4, key.role);
          s.bind(5, key.prefix);
          s.bind(6, secret_hash.data(), static_cast<int>(secret_hash.size()));
          s.bind(7, key.created_by.value());
          s.bind(8, to_unix_ms(key.created_at));
          if (key.expires_at) s.bind(9, to_unix_ms(*key.expires_at)); else s.bind(9);
          s.exec();
          return ApiKeyId((*lease_)->db.getLastInsertRowid());
        },
        "prefix");
  }

  Result<std::optional<StoredApiKey>> find_api_key_by_prefix(std::string_view prefix) override {
    return guarded("read API key", [&]() -> Result<std::optional<StoredApiKey>> {
      auto& s = stmt("SELECT " ORGKIT_API_KEY_COLUMNS ", tenant, secret_hash FROM api_keys "
                     "WHERE prefix = ?");
      s.bind(1, std::string(prefix));
      if (!s.executeStep()) return std::optional<StoredApiKey>();
      StoredApiKey stored;
      stored.key = read_api_key(s);
      stored.tenant = TenantId(s.getColumn(10).getString());
      stored.secret_hash = blob(s.getColumn(11));
      return std::optional<StoredApiKey>(std::move(stored));
    });
  }

  Result<std::optional<ApiKey>> find_api_key(const TenantId& tenant, OrgId org,
                                             ApiKeyId id) override {
    return guarded("read API key", [&]() -> Result<std::optional<ApiKey>> {
      auto& s = stmt("SELECT " ORGKIT_API_KEY_COLUMNS " FROM api_keys "
                     "WHERE id = ? AND org_id = ? AND tenant = ?");
      s.bind(1, id.value());
      s.bind(2, org.value());
      s.bind(3, tenant.value());
      if (!s.executeStep()) return std::optional<ApiKey>();
      return std::optional<ApiKey>(read_api_key(s));
    });
  }

  Result<std::vector<ApiKey>> list_api_keys(OrgId org) override {
    return guarded("list API keys", [&]() -> Result<std::vector<ApiKey>> {
      auto& s = stmt("SELECT " ORGKIT_API_KEY_COLUMNS " FROM api_keys WHERE org_id = ? "
                     "ORDER BY id DESC");
      s.bind(1, org.value());
      std::vector<ApiKey> out;
      while (s.executeStep()) out.push_back(read_api_key(s));
      return out;
    });
  }

  Result<bool> revoke_api_key(OrgId org, ApiKeyId id, Timestamp at) override {
    return guarded("revoke API key", [&]() -> Result<bool> {
      auto& s = stmt("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND org_id = ? "
                     "AND revoked_at IS NULL");
      s.bind(1, to_unix_ms(at));
      s.bind(2, id.value());
      s.bind(3, org.value());
      return s.exec() == 1;
    });
  }

  Result<void> touch_api_key(OrgId org, ApiKeyId id, Timestamp at) override {
    return guarded("record API key use", [&]() -> Result<void> {
      auto& s = stmt("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND org_id = ?");
      s.bind(1, to_unix_ms(at));
      s.bind(2, id.value());
      s.bind(3, org.value());
      s.exec();
      return {};
    });
  }

 private:
  static constexpr const char* select_org_by_id =
      "SELECT o.id, o.tenant, o.name, o.slug, o.description, o.legal_name, o.alerting_email, "
      "o.invoicing_email, o.plan, o.personal, o.created_by, o.created_at "
      "FROM organizations o WHERE o.id = ? AND o.tenant = ?";
  static constexpr const char* select_orgs_of_user =
      "SELECT o.id, o.tenant, o.name, o.slug, o.description, o.legal_name, o.alerting_email, "
      "o.invoicing_email, o.plan, o.personal, o.created_by, o.created_at, m.role "
      "FROM memberships m JOIN organizations o ON o.id = m.org_id "
      "WHERE m.tenant = ? AND m.user_id = ? ORDER BY o.id";

  // Every operation after commit() is a programming error; it fails instead of crashing.
  SQLite::Statement& stmt(const char* sql) {
    if (!lease_) throw SQLite::Exception("the transaction has ended", SQLITE_MISUSE);
    return (*lease_)->statement(sql);
  }

  void write_metadata(OrgId id, const std::map<std::string, std::string>& md) {
    for (const auto& [key, value] : md) {
      auto& s = stmt("INSERT INTO organization_metadata (org_id, key, value) VALUES (?, ?, ?)");
      s.bind(1, id.value());
      s.bind(2, key);
      s.bind(3, value);
      s.exec();
    }
  }

  std::map<std::string, std::string> read_metadata(OrgId id) {
    std::map<std::string, std::string> md;
    auto& s = stmt("SELECT key, value FROM organization_metadata WHERE org_id = ?");
    s.bind(1, id.value());
    while (s.executeStep()) md.emplace(s.getColumn(0).getString(), s.getColumn(1).getString());
    return md;
  }

  std::optional<Lease> lease_;
};

// --- storage ---------------------------------------------------------------------------

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const std::string& path, int busy_timeout_ms, int max_connections,
                bool in_memory)
      : pool_(path, busy_timeout_ms, max_connections, in_memory) {}

  Result<void> initialize() {
    return guarded("open database", [&]() -> Result<void> {
      auto lease = pool_.acquire();
      return sqlite::migrate(lease->db);
    });
  }

  Result<std::unique_ptr<StorageTransaction>> begin(TransactionMode mode) override {
    return guarded("begin transaction", [&]() -> Result<std::unique_ptr<StorageTransaction>> {
      auto lease = pool_.acquire();
      // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a writer
      // never fails half-way with SQLITE_BUSY after it has read (PITFALLS: SQLite facts).
      lease->db.exec(mode == TransactionMode::write ? "BEGIN IMMEDIATE" : "BEGIN");
      return std::unique_ptr<StorageTransaction>(new SqliteTransaction(std::move(lease)));
    });
  }

  Result<bool> member_access(const TenantId& tenant, OrgId org, const UserId& user,
                             MemberAccess& out) override {
    try {
      auto lease = pool_.acquire();
      // One indexed read: the membership by primary key, and the organization's custom role
      // of that name, if any, by its primary key.
      auto& s = lease->statement(
          "SELECT m.role, r.permissions FROM memberships m LEFT JOIN org_roles r "
          "ON r.org_id = m.org_id AND r.name = m.role "
          "WHERE m.org_id = ? AND m.user_id = ? AND m.tenant = ?");
      s.bind(1, org.value());
      s.bindNoCopy(2, user.value());
      s.bindNoCopy(3, tenant.value());
      if (!s.executeStep()) {
        (void)s.tryReset();
        return false;
      }
      const SQLite::Column role = s.getColumn(0);
      out.role.assign(role.getText(), static_cast<std::size_t>(role.getBytes()));
      const SQLite::Column perms = s.getColumn(1);
      out.custom = !perms.isNull();
      out.permissions.assign(perms.getText(), static_cast<std::size_t>(perms.getBytes()));
      (void)s.tryReset();  // ends the implicit read transaction now
      return true;
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "check permission"));
    } catch (const std::exception& e) {
      return fail(Error::storage_failure(fmt::format("check permission failed: {}", e.what())));
    }
  }

  Result<bool> member_role(const TenantId& tenant, OrgId org, const UserId& user,
                           std::string& role_out) override {
    try {
      auto lease = pool_.acquire();
      auto& s = lease->statement(
          "SELECT role FROM memberships WHERE org_id = ? AND user_id = ? AND tenant = ?");
      s.bind(1, org.value());
      s.bindNoCopy(2, user.value());
      s.bindNoCopy(3, tenant.value());
      if (!s.executeStep()) {
        (void)s.tryReset();
        return false;
      }
      const SQLite::Column role = s.getColumn(0);
      role_out.assign(role.getText(), static_cast<std::size_t>(role.getBytes()));
      (void)s.tryReset();  // ends the implicit read transaction now
      return true;
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "check permission"));
    } catch (const std::exception& e) {
      return fail(Error::storage_failure(fmt::format("check permission failed: {}", e.what())));
    }
  }

 private:
  Pool pool_;
};

}  // namespace

Result<std::unique_ptr<Storage>> open_sqlite(const SqliteOptions& options) {
  if (options.path.empty()) {
    return fail(Error::invalid("path", "must be a file path or \":memory:\""));
  }
  if (options.max_connections < 1 || options.max_connections > 64) {
    return fail(Error::invalid("max_connections", "must be 1-64"));
  }
  if (options.busy_timeout_ms < 0) {
    return fail(Error::invalid("busy_timeout_ms", "must not be negative"));
  }
  const bool in_memory = options.path == ":memory:";
  // An in-memory database lives inside one connection: share that one.
  auto storage = std::make_unique<SqliteStorage>(options.path, options.busy_timeout_ms,
                                                 in_memory ? 1 : options.max_connections,
                                                 in_memory);
  if (auto ok = storage->initialize(); !ok) return fail(ok.error());
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace orgkit
