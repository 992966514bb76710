// Reading the audit trail (A1), newest first, a page at a time.
#include <charconv>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/use_cases.hpp"
#include "validate.hpp"

namespace orgkit::detail {

// --- audit -----------------------------------------------------------------------------

Result<Page<AuditEvent>> list_audit_events(Core& c, const Actor& actor, OrgId org,
                                           const AuditQuery& query) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  std::optional<AuditEventId> before;
  if (!query.cursor.empty()) {
    std::int64_t id = 0;
    const char* b = query.cursor.data();
    const char* e = b + query.cursor.size();
    if (query.cursor.size() < 3 || query.cursor.compare(0, 2, "a:") != 0 ||
        std::from_chars(b + 2, e, id).ptr != e || id <= 0) {
      return fail(Error::invalid("cursor", "is not a cursor returned by list_audit_events"));
    }
    before = AuditEventId(id);
  }
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::audit_read, "read the audit trail"));
  (void)a;
  ORGKIT_TRY(events, tx->list_audit_events(actor.tenant, org, before, query.limit + 1));
  Page<AuditEvent> page;
  if (events.size() > static_cast<std::size_t>(query.limit)) {
    events.pop_back();
    page.next_cursor = fmt::format("a:{}", events.back().id.value());
  }
  page.items = std::move(events);
  return page;
}

}  // namespace orgkit::detail
