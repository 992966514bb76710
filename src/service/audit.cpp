// Reading the audit trail (A1), newest first, a page at a time, filtered by action, target
// and time range.
#include <charconv>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/use_cases.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

// Cursors are opaque to callers: "a:" and the id of the last event of the page. A filter is
// a predicate on events and the order is by id alone, so "below this id" continues the same
// query exactly: events recorded since the first page have higher ids and never push a row
// onto a second page.
Result<std::optional<AuditEventId>> decode_audit_cursor(const std::string& cursor) {
  if (cursor.empty()) return std::optional<AuditEventId>();
  std::int64_t id = 0;
  const char* b = cursor.data();
  const char* e = b + cursor.size();
  if (cursor.size() < 3 || cursor.compare(0, 2, "a:") != 0 ||
      std::from_chars(b + 2, e, id).ptr != e || id <= 0) {
    return fail(Error::invalid("cursor", "is not a cursor returned by list_audit_events"));
  }
  return std::optional<AuditEventId>(AuditEventId(id));
}

// The query as a storage filter, after checking the shape of each condition.
Result<AuditFilter> audit_filter(const AuditQuery& query) {
  ORGKIT_TRY(before, decode_audit_cursor(query.cursor));
  if (query.action) ORGKIT_CHECK(validate::audit_action("action", *query.action));
  if (query.target) ORGKIT_CHECK(validate::host_id("target", *query.target));
  if (query.since && query.until && !(*query.since < *query.until)) {
    return fail(Error::invalid("until",
                               "must be later than 'since' (the range includes its "
                               "start and excludes its end)"));
  }
  return AuditFilter{before, query.action, query.target, query.since, query.until};
}

}  // namespace

// --- audit -----------------------------------------------------------------------------

namespace {

// One page of `org`'s events (OrgId() for the tenant's own) that pass `filter`.
Result<Page<AuditEvent>> audit_page(StorageTransaction& tx, const Actor& actor, OrgId org,
                                    const AuditFilter& filter, int limit) {
  ORGKIT_TRY(events, tx.list_audit_events(actor.tenant, org, filter, limit + 1));
  Page<AuditEvent> page;
  if (events.size() > static_cast<std::size_t>(limit)) {
    events.pop_back();
    page.next_cursor = fmt::format("a:{}", events.back().id.value());
  }
  page.items = std::move(events);
  return page;
}

}  // namespace

Result<Page<AuditEvent>> list_audit_events(Core& c, const Actor& actor, OrgId org,
                                           const AuditQuery& query) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  ORGKIT_TRY(filter, audit_filter(query));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::audit_read, "read the audit trail"));
  (void)a;
  return audit_page(*tx, actor, org, filter, query.limit);
}

Result<Page<AuditEvent>> list_tenant_audit_events(Core& c, const Actor& actor,
                                                  const AuditQuery& query) {
  ORGKIT_CHECK(validate_actor(actor));
  if (actor.is_member()) {
    return fail(Error::denied("actor", fmt::format("only a tenant administrator or the host may "
                                                   "read the tenant's audit trail; user '{}' is "
                                                   "a member",
                                                   actor.id.value())));
  }
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  ORGKIT_TRY(filter, audit_filter(query));
  ORGKIT_TRY(tx, read(c));
  return audit_page(*tx, actor, OrgId(), filter, query.limit);  // the tenant's own trail
}

}  // namespace orgkit::detail
