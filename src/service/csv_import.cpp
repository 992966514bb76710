// Bulk invitations from CSV (I6): one call, one transaction, one result per row, with an
// optional progress callback for callers that show how far a large file has got.
#include <array>
#include <unordered_map>

#include <fmt/format.h>

#include "csv.hpp"
#include "service/core.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

enum Column { email_col, role_col, department_col, message_col, column_count };
constexpr std::array<std::string_view, column_count> column_names = {"email", "role", "department",
                                                                     "message"};

// Where each known column is in the file; the header must name email and role, may name
// department and message, and nothing else (a typo such as "emial" is an error, not a
// silently ignored column).
struct Header {
  std::array<std::optional<std::size_t>, column_count> at;
  std::size_t width = 0;   // fields in the header
  std::size_t needed = 0;  // fields up to the last named column: fewer is a short row
};

Result<Header> read_header(const csv::Record& rec) {
  if (rec.error) return fail(Error::invalid("csv.header", *rec.error));
  Header h;
  h.width = rec.fields.size();
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    std::string name = validate::trim(rec.fields[i]);
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    // Spreadsheets often export a trailing comma ("email,role,"): unnamed columns are
    // ignored, as long as the rows' fields for them are too.
    if (name.empty()) continue;
    bool known = false;
    for (std::size_t c = 0; c < column_count; ++c) {
      if (name != column_names[c]) continue;
      if (h.at[c]) {
        return fail(Error::invalid("csv.header", fmt::format("column '{}' appears twice", name)));
      }
      h.at[c] = i;
      h.needed = i + 1;
      known = true;
    }
    if (!known) {
      return fail(Error::invalid(
          "csv.header", fmt::format("unknown column '{}' (expected email, role, department, "
                                    "message)",
                                    name)));
    }
  }
  std::string missing;
  for (auto c : {email_col, role_col}) {
    if (!h.at[c]) missing += (missing.empty() ? "" : ", ") + std::string(column_names[c]);
  }
  if (!missing.empty()) {
    return fail(Error::invalid("csv.header", fmt::format("missing column(s): {}; the first line "
                                                         "must name the columns, e.g. "
                                                         "email,role,department,message",
                                                         missing)));
  }
  return h;
}

std::string field(const csv::Record& rec, const Header& h, Column c) {
  return h.at[c] ? rec.fields[*h.at[c]] : std::string();
}

// Tells the caller's progress callback about every 1% of the rows and the last one; what it
// throws is dropped, as it must not end the import.
void report(const Service::CsvProgress& progress, std::size_t done, std::size_t total) {
  if (!progress) return;
  const std::size_t step = total < 100 ? 1 : total / 100;
  if (done != total && done % step != 0) return;
  try {
    progress(done, total);
  } catch (...) {  // NOLINT: a progress display never fails an import
  }
}

}  // namespace

Result<Committed<CsvImportResult>> import_invitations_csv(Core& c, const Actor& actor, OrgId org,
                                                          std::string_view text,
                                                          const Service::CsvProgress& progress) {
  ORGKIT_CHECK(validate_actor(actor));
  const auto records = csv::parse(text);
  if (records.empty()) {
    return fail(Error::invalid("csv",
                               "is empty; expected a header row such as "
                               "email,role,department,message"));
  }
  ORGKIT_TRY(header, read_header(records.front()));
  const std::size_t rows = records.size() - 1;
  const auto& settings = c.invitations;
  if (rows > settings.max_csv_rows) {
    return fail(Error::limit(
        "csv", fmt::format("{} rows; one import takes at most {}", rows, settings.max_csv_rows)));
  }

  // Row index -> the change whose message tells that row's invitee.
  std::vector<std::pair<std::size_t, std::size_t>> outbox;
  return write_then<CsvImportResult>(
      c, scope_of(actor, org),
      [&](Work& w) -> Result<CsvImportResult> {
        StorageTransaction* tx = &w;
        outbox.clear();
        ORGKIT_TRY(ctx, inviting(c, *tx, actor, org, nullptr));
        ORGKIT_TRY(seats, seats_taken(c, *tx, ctx.org));
        const Timestamp now = c.clock->now();
        const auto expiry =
            std::chrono::duration_cast<std::chrono::milliseconds>(settings.email_expiry);

        CsvImportResult result;
        result.rows.reserve(rows);
        // An address repeated in the file refreshes its own invitation: only the last message (the
        // one with the live token) is sent.
        std::unordered_map<std::int64_t, std::size_t> outbox_slot;
        outbox_slot.reserve(rows);
        outbox.reserve(rows);
        w.changes().reserve(rows);
        for (std::size_t r = 1; r < records.size(); ++r) {
          const csv::Record& rec = records[r];
          CsvRowResult row;
          row.line = rec.line;
          // Row errors are values; only a storage failure ends the import (and rolls it back).
          auto attempt = [&]() -> Result<Issued> {
            if (rec.error) return fail(Error::invalid("csv", *rec.error));
            if (rec.fields.size() < header.needed || rec.fields.size() > header.width) {
              return fail(Error::invalid("csv", fmt::format("expected {} fields, found {}",
                                                            header.width, rec.fields.size())));
            }
            row.email = validate::trim(field(rec, header, email_col));
            ORGKIT_TRY(fields, check_invite(row.email, field(rec, header, department_col),
                                            field(rec, header, message_col)));
            ORGKIT_TRY(role, requested_role(c, *tx, org, "role",
                                            validate::trim(field(rec, header, role_col))));
            ORGKIT_CHECK(may_invite_to(*ctx.access.role, *role));
            Invitation inv =
                email_invitation(actor, org, std::move(fields), role->name, now, expiry);
            return issue_email_invitation(c, *tx, actor, ctx.org, *ctx.access.role, std::move(inv),
                                          seats);
          };
          auto issued = attempt();
          if (issued) {
            row.outcome = issued->issued.refreshed ? CsvRowResult::Outcome::refreshed
                                                   : CsvRowResult::Outcome::invited;
            row.invitation = issued->issued.invitation.id;
            row.accept_url = std::move(issued->issued.accept_url);
            ++(issued->issued.refreshed ? result.refreshed : result.invited);
            const auto id = issued->issued.invitation.id.value();
            const std::size_t change = w.attach_message(std::move(issued->message));
            if (auto slot = outbox_slot.find(id); slot != outbox_slot.end()) {
              w.changes()[outbox[slot->second].second].message.reset();  // its token is dead
              outbox[slot->second] = {result.rows.size(), change};
            } else {
              outbox_slot.emplace(id, outbox.size());
              outbox.emplace_back(result.rows.size(), change);
            }
          } else {
            if (ends_unit_of_work(issued.error().code)) {
              return fail(std::move(issued).error());
            }
            row.outcome = CsvRowResult::Outcome::failed;
            row.error = std::move(issued).error();
            ++result.failed;
          }
          result.rows.push_back(std::move(row));
          report(progress, result.rows.size(), rows);
        }
        return result;
      },
      [&](CsvImportResult& result, const Delivery& delivery) {
        for (const auto& [row, change] : outbox) {
          result.rows[row].delivery_error = delivery.message_error(change);
        }
      });
}

}  // namespace orgkit::detail
