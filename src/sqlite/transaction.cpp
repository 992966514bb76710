// SqliteTransaction: commit, organizations, memberships, per-user state, audit.
#include "sqlite/transaction.hpp"
#include "sqlite/packed.hpp"
#include "sqlite/rows.hpp"
#include "sqlite/schema.hpp"
#include "validate.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace orgkit::sqlite {

SqliteTransaction::~SqliteTransaction() {
  if (lease_) {
    (*lease_)->reset_all();
    (void)(*lease_)->db.tryExec("ROLLBACK");
  }
}

SqliteTransaction::SqliteTransaction(Lease lease, ShmChangeSignal* signal, std::vector<OrgId> scope,
                                     bool exclusive, const RoleIndex* roles)
    : lease_(std::move(lease)),
      changes_at_begin_(sqlite3_total_changes64((*lease_)->db.getHandle())),
      signal_(signal),
      scope_(std::move(scope)),
      exclusive_(exclusive),
      // BEGIN (deferred) has not read yet: the snapshot its first read takes includes at
      // least every commit published by now.
      published_at_begin_(signal != nullptr ? signal->published() : 0),
      roles_(roles) {}

std::int64_t SqliteTransaction::sequence_row() {
  auto& s = stmt("SELECT sequence FROM commit_sequence");
  if (!s.executeStep()) throw SQLite::Exception("the commit sequence is missing", SQLITE_CORRUPT);
  const std::int64_t mark = s.getColumn(0).getInt64();
  (void)s.tryReset();
  return mark;
}

std::int64_t SqliteTransaction::own_number() {
  if (number_) return *number_;
  std::int64_t n = 0;
  if (signal_ != nullptr) {
    n = static_cast<std::int64_t>(signal_->issued()) + 1;
    if (static_cast<std::uint64_t>(n) > signal_->reserved()) {
      // Past the reserved block: reserve the next one. A row above the number means another
      // process numbered without this file (or the file is stale): count on from the row.
      n = std::max(n, sequence_row() + 1);
      reserve_to_ = n + static_cast<std::int64_t>(ShmChangeSignal::sequence_block) - 1;
    }
  } else {
    n = sequence_row() + 1;
    reserve_to_ = n;
  }
  number_ = n;
  return n;
}

Result<CommitToken> SqliteTransaction::commit() {
  if (!lease_) return fail(Error::storage_failure("commit: the transaction has ended"));
  bool signalled = false;
  std::uint64_t taken = 0;  // the number a commit that wrote took, published however it ends
  auto committed = guarded("commit", [&]() -> Result<CommitToken> {
    // A transaction that changed rows takes the next number; one that changed none reports
    // the highest number its snapshot is known to include. The write lock makes the numbers
    // commit-ordered.
    const bool wrote = sqlite3_total_changes64((*lease_)->db.getHandle()) != changes_at_begin_;
    std::uint64_t sequence = 0;
    if (wrote) {
      sequence = static_cast<std::uint64_t>(own_number());
      // Not UPDATE ... RETURNING: SQLite gives such a statement a 64 KiB statement journal,
      // allocated and freed on every commit, which made every write several times slower.
      if (reserve_to_ != 0) {
        auto& s = stmt("UPDATE commit_sequence SET sequence = ?");
        s.bind(1, reserve_to_);
        s.exec();
      }
    } else if (signal_ != nullptr) {
      // Under the write lock every number taken has ended; a read reports what was published
      // before its snapshot began.
      sequence = exclusive_ ? signal_->issued() : published_at_begin_;
    } else {
      sequence = static_cast<std::uint64_t>(sequence_row());
    }
    (*lease_)->reset_all();
    // Cached checks of the organizations written stop trusting themselves before the change
    // becomes visible, and may cache again once it is (change_signal.hpp).
    if (wrote && signal_ != nullptr) {
      signal_->take(sequence);
      taken = sequence;
      signal_->begin_commit(scope_, exclusive_);
      signalled = true;
    }
    (*lease_)->statement("COMMIT").exec();  // prepared once per connection
    if (signal_ != nullptr && reserve_to_ != 0) {
      signal_->reserved_up_to(static_cast<std::uint64_t>(reserve_to_));
    }
    return CommitToken(sequence);
  });
  // A failed COMMIT can leave the transaction open; never hand such a connection back.
  if (!committed) (void)(*lease_)->db.tryExec("ROLLBACK");
  // Published even when the commit failed: no commit has that number, so a reader waiting for
  // it has seen everything it could.
  if (signalled) signal_->end_commit(scope_, taken);
  lease_.reset();  // the connection goes back to the pool now, not when this object dies
  return committed;
}

Result<OrgId> SqliteTransaction::insert_organization(const Organization& org) {
  return guarded(
      "create organization",
      [&]() -> Result<OrgId> {
        auto& s = stmt(
            "INSERT INTO organizations (tenant, name, slug, description, legal_name, "
            "alerting_email, invoicing_email, plan, personal, created_by, created_at, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
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
        const std::string metadata = pack_metadata(org.metadata);
        s.bindNoCopy(12, metadata.data(), static_cast<int>(metadata.size()));
        s.exec();
        return OrgId((*lease_)->db.getLastInsertRowid());
      },
      "slug");
}

Result<std::optional<Organization>> SqliteTransaction::find_organization(const TenantId& tenant,
                                                                         OrgId id) {
  return guarded("read organization", [&]() -> Result<std::optional<Organization>> {
    auto& s = stmt(select_org_by_id);
    s.bind(1, id.value());
    s.bind(2, tenant.value());
    if (!s.executeStep()) return std::optional<Organization>();
    return std::optional<Organization>(read_org(s));
  });
}

Result<bool> SqliteTransaction::slug_taken(const TenantId& tenant, std::string_view slug) {
  return guarded("read slug", [&]() -> Result<bool> {
    auto& s = stmt("SELECT 1 FROM organizations WHERE tenant = ? AND slug = ?");
    s.bind(1, tenant.value());
    s.bind(2, std::string(slug));
    return s.executeStep();
  });
}

Result<void> SqliteTransaction::update_organization(const Organization& org) {
  return guarded("update organization", [&]() -> Result<void> {
    auto& s = stmt(
        "UPDATE organizations SET name = ?, description = ?, legal_name = ?, "
        "alerting_email = ?, invoicing_email = ?, plan = ?, metadata = ? "
        "WHERE id = ? AND tenant = ?");
    s.bind(1, org.name);
    s.bind(2, org.description);
    s.bind(3, org.legal_name);
    s.bind(4, org.alerting_email);
    s.bind(5, org.invoicing_email);
    s.bind(6, org.plan);
    const std::string metadata = pack_metadata(org.metadata);
    s.bindNoCopy(7, metadata.data(), static_cast<int>(metadata.size()));
    s.bind(8, org.id.value());
    s.bind(9, org.tenant.value());
    if (s.exec() != 1) return fail(Error::not_found("org_id", "no such organization"));
    return {};
  });
}

Result<void> SqliteTransaction::delete_organization(const TenantId& tenant, OrgId id) {
  return guarded("delete organization", [&]() -> Result<void> {
    auto& s = stmt("DELETE FROM organizations WHERE id = ? AND tenant = ?");
    s.bind(1, id.value());
    s.bind(2, tenant.value());
    if (s.exec() != 1) return fail(Error::not_found("org_id", "no such organization"));
    return {};
  });
}

Result<std::vector<MyOrganization>> SqliteTransaction::organizations_of(const TenantId& tenant,
                                                                        const UserId& user) {
  return guarded("list organizations", [&]() -> Result<std::vector<MyOrganization>> {
    auto& s = stmt(select_orgs_of_user);
    s.bind(1, tenant.value());
    s.bind(2, user.value());
    std::vector<MyOrganization> out;
    while (s.executeStep()) {
      MyOrganization mo;
      mo.organization = read_org(s);
      mo.role = s.getColumn(13).getString();
      out.push_back(std::move(mo));
    }
    return out;
  });
}

Result<std::optional<OrgId>> SqliteTransaction::personal_organization_of(const TenantId& tenant,
                                                                         const UserId& user) {
  return guarded("read personal organization", [&]() -> Result<std::optional<OrgId>> {
    auto& s =
        stmt("SELECT id FROM organizations WHERE tenant = ? AND created_by = ? AND personal = 1");
    s.bind(1, tenant.value());
    s.bind(2, user.value());
    if (!s.executeStep()) return std::optional<OrgId>();
    return std::optional<OrgId>(OrgId(s.getColumn(0).getInt64()));
  });
}

Result<std::int64_t> SqliteTransaction::count_organizations_created_by(const TenantId& tenant,
                                                                      const UserId& user) {
  return guarded("count organizations", [&]() -> Result<std::int64_t> {
    auto& s = stmt(
        "SELECT count(*) FROM organizations WHERE tenant = ? AND created_by = ? AND personal = 0");
    s.bind(1, tenant.value());
    s.bind(2, user.value());
    (void)s.executeStep();
    return s.getColumn(0).getInt64();
  });
}

bool SqliteTransaction::org_in_tenant(OrgId org, const TenantId& tenant) {
  if (org_confirmed_ && org_confirmed_->first == org && org_confirmed_->second == tenant) {
    return true;
  }
  auto& s = stmt("SELECT 1 FROM organizations WHERE id = ? AND tenant = ?");
  s.bind(1, org.value());
  s.bindNoCopy(2, tenant.value());
  if (!s.executeStep()) return false;
  org_confirmed_.emplace(org, tenant);
  return true;
}

Result<void> SqliteTransaction::insert_membership(const TenantId& tenant, const Membership& m) {
  return guarded(
      "add member",
      [&]() -> Result<void> {
        // Only into an organization of that tenant: a row under another tenant would make
        // the organization answer for it.
        if (!org_in_tenant(m.org, tenant)) return fail(not_in_tenant());
        auto& s = stmt(
            "INSERT INTO memberships (org_id, user_id, tenant, email, display_name, role, "
            "joined_at, email_key, department) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        const std::string key = validate::email_key(m.email);
        s.bind(1, m.org.value());
        s.bindNoCopy(2, m.user.value());
        s.bindNoCopy(3, tenant.value());
        s.bindNoCopy(4, m.email);
        s.bindNoCopy(5, m.display_name);
        s.bindNoCopy(6, m.role);
        s.bind(7, to_unix_ms(m.joined_at));
        s.bindNoCopy(8, key);
        s.bindNoCopy(9, m.department);
        s.exec();
        return {};
      },
      "user_id");
}

Result<std::optional<Membership>> SqliteTransaction::find_membership(const TenantId& tenant,
                                                                     OrgId org,
                                                                     const UserId& user) {
  return guarded("read member", [&]() -> Result<std::optional<Membership>> {
    auto& s = stmt(
        "SELECT org_id, user_id, email, display_name, role, joined_at, department FROM memberships "
        "WHERE org_id = ? AND user_id = ? AND tenant = ?");
    s.bind(1, org.value());
    s.bind(2, user.value());
    s.bind(3, tenant.value());
    if (!s.executeStep()) return std::optional<Membership>();
    return std::optional<Membership>(read_membership(s));
  });
}

Result<void> SqliteTransaction::update_membership_role(OrgId org, const UserId& user,
                                                       std::string_view role) {
  return guarded("change role", [&]() -> Result<void> {
    auto& s = stmt("UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?");
    s.bind(1, std::string(role));
    s.bind(2, org.value());
    s.bind(3, user.value());
    if (s.exec() != 1) return fail(Error::not_found("user_id", "no such member"));
    return {};
  });
}

Result<void> SqliteTransaction::update_membership_department(OrgId org, const UserId& user,
                                                             std::string_view department) {
  return guarded("change department", [&]() -> Result<void> {
    auto& s = stmt("UPDATE memberships SET department = ? WHERE org_id = ? AND user_id = ?");
    s.bind(1, std::string(department));
    s.bind(2, org.value());
    s.bind(3, user.value());
    if (s.exec() != 1) return fail(Error::not_found("user_id", "no such member"));
    return {};
  });
}

Result<void> SqliteTransaction::delete_membership(OrgId org, const UserId& user) {
  return guarded("remove member", [&]() -> Result<void> {
    auto& s = stmt("DELETE FROM memberships WHERE org_id = ? AND user_id = ?");
    s.bind(1, org.value());
    s.bind(2, user.value());
    if (s.exec() != 1) return fail(Error::not_found("user_id", "no such member"));
    return {};
  });
}

Result<std::vector<Membership>> SqliteTransaction::list_memberships(
    OrgId org, const std::optional<std::string>& role, const std::string& after_user, int limit) {
  return guarded("list members", [&]() -> Result<std::vector<Membership>> {
    const std::string* by_index = role ? indexed(*role, &RoleIndex::list_sql) : nullptr;
    auto& s = by_index ? stmt(by_index->c_str())
              : role   ? stmt(
                         "SELECT org_id, user_id, email, display_name, role, joined_at, department "
                         "FROM memberships WHERE org_id = ?1 AND role = ?4 AND user_id > ?2 "
                         "ORDER BY user_id LIMIT ?3")
                       : stmt(
                         "SELECT org_id, user_id, email, display_name, role, joined_at, department "
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

Result<std::int64_t> SqliteTransaction::count_memberships(OrgId org,
                                                          const std::optional<std::string>& role) {
  return guarded("count members", [&]() -> Result<std::int64_t> {
    const std::string* by_index = role ? indexed(*role, &RoleIndex::count_sql) : nullptr;
    auto& s = by_index ? stmt(by_index->c_str())
              : role   ? stmt("SELECT count(*) FROM memberships WHERE org_id = ?1 AND role = ?2")
                       : stmt("SELECT count(*) FROM memberships WHERE org_id = ?1");
    s.bind(1, org.value());
    if (role) s.bind(2, *role);
    (void)s.executeStep();
    return s.getColumn(0).getInt64();
  });
}

Result<std::optional<OrgId>> SqliteTransaction::active_organization(const TenantId& tenant,
                                                                    const UserId& user) {
  return guarded("read active organization", [&]() -> Result<std::optional<OrgId>> {
    auto& s = stmt("SELECT active_org_id FROM user_state WHERE tenant = ? AND user_id = ?");
    s.bind(1, tenant.value());
    s.bind(2, user.value());
    if (!s.executeStep() || s.getColumn(0).isNull()) return std::optional<OrgId>();
    return std::optional<OrgId>(OrgId(s.getColumn(0).getInt64()));
  });
}

Result<void> SqliteTransaction::set_active_organization(const TenantId& tenant, const UserId& user,
                                                        std::optional<OrgId> org) {
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

std::int64_t SqliteTransaction::next_audit_id() {
  if (audit_events_ >= (std::int64_t{1} << audit_id_shift)) {
    throw SQLite::Exception("too many audit events in one transaction", SQLITE_FULL);
  }
  return (own_number() << audit_id_shift) + audit_events_++;
}

Result<AuditEventId> SqliteTransaction::append_audit_event(const AuditEvent& e) {
  return guarded("write audit event", [&]() -> Result<AuditEventId> {
    // Every write transaction holds the write lock (BEGIN IMMEDIATE), so the number chosen
    // here is the one this transaction's commit takes.
    const std::int64_t id = next_audit_id();
    auto& s = stmt(
        "INSERT INTO audit_log (org_id, id, tenant, actor, actor_kind, action, target, at, "
        "changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, e.org.value());
    s.bind(2, id);
    s.bindNoCopy(3, e.tenant.value());
    s.bindNoCopy(4, e.actor.value());
    s.bindNoCopy(5, to_string(e.actor_kind).data());  // a NUL-terminated literal
    s.bindNoCopy(6, e.action);
    s.bindNoCopy(7, e.target);
    s.bind(8, to_unix_ms(e.at));
    const std::string changes = pack_changes(e.changes);
    s.bindNoCopy(9, changes.data(), static_cast<int>(changes.size()));
    s.exec();
    return AuditEventId(id);
  });
}

namespace {

// The audit listing with only the conditions a filter sets, one SQL text per combination,
// each prepared once per connection (statements are cached by the address of their text,
// which stays put in this table). Conditions that are not set are left out, not written
// as "?4 IS NULL OR action = ?4", so that the planner may use any index on them: today it
// walks audit_log's key (org_id, id) backwards from `before`, in id order,
// checking the other conditions on each row; no temporary sort.
enum AuditCondition : unsigned { by_action = 1, by_target = 2, by_since = 4, by_until = 8 };

const char* audit_select(unsigned conditions) {
  static const std::array<std::string, 16> texts = [] {
    std::array<std::string, 16> out;
    for (unsigned c = 0; c < out.size(); ++c) {
      std::string sql =
          "SELECT id, tenant, org_id, actor, action, target, at, actor_kind, changes "
          "FROM audit_log WHERE org_id = ?2 AND tenant = ?1 AND id < ?3";
      if (c & by_action) sql += " AND action = ?4";
      if (c & by_target) sql += " AND target = ?5";
      if (c & by_since) sql += " AND at >= ?6";
      if (c & by_until) sql += " AND at < ?7";
      sql += " ORDER BY id DESC LIMIT ?8";
      out[c] = std::move(sql);
    }
    return out;
  }();
  return texts[conditions & 15u].c_str();
}

}  // namespace

Result<std::vector<AuditEvent>> SqliteTransaction::list_audit_events(const TenantId& tenant,
                                                                     OrgId org,
                                                                     const AuditFilter& filter,
                                                                     int limit) {
  return guarded("list audit events", [&]() -> Result<std::vector<AuditEvent>> {
    const unsigned conditions = (filter.action ? by_action : 0u) |
                                (filter.target ? by_target : 0u) |
                                (filter.since ? by_since : 0u) | (filter.until ? by_until : 0u);
    auto& s = stmt(audit_select(conditions));
    s.bind(1, tenant.value());
    s.bind(2, org.value());
    s.bind(3, filter.before ? filter.before->value() : INT64_MAX);
    if (filter.action) s.bind(4, *filter.action);
    if (filter.target) s.bind(5, *filter.target);
    if (filter.since) s.bind(6, to_unix_ms(*filter.since));
    if (filter.until) s.bind(7, to_unix_ms(*filter.until));
    s.bind(8, limit);
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
      const std::string kind = s.getColumn(7).getString();
      e.actor_kind = kind == "host"           ? PrincipalKind::host
                     : kind == "tenant_admin" ? PrincipalKind::tenant_admin
                                              : PrincipalKind::member;
      auto changes = unpack_changes(blob_view(s.getColumn(8)));
      if (!changes) throw SQLite::Exception("an audit event's changes are damaged", SQLITE_CORRUPT);
      e.changes = std::move(*changes);
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace orgkit::sqlite
