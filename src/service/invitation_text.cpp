// The words of invitations: matching keys, audit targets, times, and the message templates
// (checked when the Service is created, rendered per invitation).
#include <ctime>
#include <map>
#include <utility>
#include <vector>

#include <iterator>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/invitation_steps.hpp"
#include "validate.hpp"

namespace orgkit::detail {

std::string email_key(std::string_view email) { return validate::email_key(email); }

// What audit events about an invitation name: the address, or the link's id (never a token).
std::string audit_target(const Invitation& inv) {
  return inv.kind == InvitationKind::email ? inv.email
                                           : fmt::format("invitation {}", inv.id.value());
}


namespace {

// What a template may say; rendering with fmt's named arguments.
struct TemplateValues {
  std::string organization, inviter, inviter_email, role, message, department, accept_url,
      expires_at, email;
};

constexpr std::string_view placeholders[] = {"organization", "inviter",    "inviter_email",
                                             "role",         "message",    "department",
                                             "accept_url",   "expires_at", "email"};

// Templates may hold only bare {name} placeholders (and {{ }} for braces): no format specs,
// so a template can neither fail at render time nor ask for a two-gigabyte field width.
Result<void> check_template(std::string_view field, std::string_view t,
                            const std::vector<std::string>& host_names) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '}') {
      if (i + 1 < t.size() && t[i + 1] == '}') {
        ++i;
        continue;
      }
      return fail(Error::invalid(std::string(field), "a lone '}' (write }} for a brace)"));
    }
    if (t[i] != '{') continue;
    if (i + 1 < t.size() && t[i + 1] == '{') {
      ++i;
      continue;
    }
    const auto close = t.find('}', i);
    if (close == std::string_view::npos) {
      return fail(
          Error::invalid(std::string(field), "a '{' is never closed (write {{ for a brace)"));
    }
    const std::string_view name = t.substr(i + 1, close - i - 1);
    bool known = false;
    for (auto p : placeholders) known = known || p == name;
    for (const auto& h : host_names) known = known || h == name;
    if (!known) {
      std::string also;
      for (const auto& h : host_names) also += " {" + h + "}";
      return fail(Error::invalid(std::string(field),
                                 fmt::format("unknown placeholder {{{}}}; known: {{organization}} "
                                             "{{inviter}} {{inviter_email}} {{role}} {{message}} "
                                             "{{department}} {{accept_url}} {{expires_at}} "
                                             "{{email}}{}",
                                             name, also)));
    }
    i = close;
  }
  return {};
}

// A subject is one line, whatever the values hold (no header injection through a message).
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

using HostValues = std::vector<std::pair<std::string, std::string>>;

// The value of placeholder `name`: a built-in one, else one of the host's.
std::string_view value_of(std::string_view name, const TemplateValues& v, const HostValues& host) {
  const std::string* builtin[] = {&v.organization, &v.inviter,    &v.inviter_email,
                                  &v.role,         &v.message,    &v.department,
                                  &v.accept_url,   &v.expires_at, &v.email};
  static_assert(std::size(builtin) == std::size(placeholders), "one value per placeholder");
  for (std::size_t i = 0; i < std::size(placeholders); ++i) {
    if (placeholders[i] == name) return *builtin[i];
  }
  for (const auto& [host_name, value] : host) {
    if (host_name == name) return value;
  }
  return {};  // check_template admitted only known names
}

// Renders a template that check_template accepted: literal text, "{{" and "}}" as braces, and
// each bare {name} as its value, as fmt would format it with named arguments. By hand rather
// than with fmt::dynamic_format_arg_store, which copies every name and value onto the heap
// for each message: most of the cost of a message in a large CSV import.
std::string render_one(const std::string& tmpl, const TemplateValues& v, const HostValues& host) {
  std::string out;
  out.reserve(tmpl.size() + 256);
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      const std::size_t close = tmpl.find('}', i);
      if (close == std::string::npos) throw std::invalid_argument("unclosed placeholder");
      out += value_of(std::string_view(tmpl).substr(i + 1, close - i - 1), v, host);
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

constexpr std::size_t max_host_value_chars = 1000;

// The host's values for this message: every declared name (empty unless given), checked.
Result<HostValues> host_values(const InvitationSettings& settings, const Organization& org,
                               const Invitation& inv) {
  HostValues out;
  if (settings.host_placeholders.empty()) return out;
  std::map<std::string, std::string> given;
  try {
    given = settings.placeholder_values(org, inv);
  } catch (const std::exception& e) {
    return fail(Error::invalid("invitations.placeholder_values",
                               fmt::format("the host's placeholder values failed: {}", e.what())));
  } catch (...) {
    return fail(Error::invalid("invitations.placeholder_values",
                               "the host's placeholder values failed"));
  }
  for (const auto& [name, value] : given) {
    bool declared = false;
    for (const auto& h : settings.host_placeholders) declared = declared || h == name;
    if (!declared) {
      return fail(Error::invalid("invitations.placeholder_values",
                                 fmt::format("gave '{}', which host_placeholders does not declare",
                                             name)));
    }
    // Valid UTF-8, bounded, no control characters but line breaks and tabs.
    if (!validate::text("invitations.placeholder_values", value, max_host_value_chars)) {
      return fail(Error::invalid("invitations.placeholder_values",
                                 fmt::format("the value of '{}' is not text of at most {} "
                                             "characters",
                                             name, max_host_value_chars)));
    }
  }
  for (const auto& name : settings.host_placeholders) {
    auto it = given.find(name);
    out.emplace_back(name, it == given.end() ? std::string() : it->second);
  }
  return out;
}

}  // namespace

Result<OutgoingMessage> render(const InvitationSettings& settings, OutgoingMessage::Kind kind,
                               const Organization& org, const Actor& inviter, const Invitation& inv,
                               const std::string& accept_url) {
  TemplateValues v{
      org.name,      inviter.display_name.empty() ? inviter.email : inviter.display_name,
      inviter.email, inv.role,
      inv.message,   inv.department,
      accept_url,    format_time(inv.expires_at),
      inv.email};
  TemplateValues subject_values{one_line(v.organization),
                                one_line(v.inviter),
                                one_line(v.inviter_email),
                                one_line(v.role),
                                one_line(v.message),
                                one_line(v.department),
                                v.accept_url,
                                v.expires_at,
                                one_line(v.email)};
  const MessageTemplates& t = settings.templates;
  ORGKIT_TRY(host, host_values(settings, org, inv));
  HostValues host_subject = host;
  for (auto& entry : host_subject) entry.second = one_line(std::move(entry.second));
  OutgoingMessage m;
  m.kind = kind;
  m.to = inv.email;
  m.org = org.id;
  m.invitation = inv.id;
  m.organization_name = v.organization;
  m.role = v.role;
  m.accept_url = v.accept_url;
  m.expires_at = v.expires_at;
  try {
    m.subject = render_one(t.subject, subject_values, host_subject);
    m.body = render_one(t.body, v, host);
  } catch (const std::exception& e) {  // fmt::format_error, std::bad_alloc: never escape
    return fail(
        Error::invalid("invitations.templates", fmt::format("cannot render: {}", e.what())));
  }
  return m;
}

Result<void> check_templates(const InvitationSettings& settings) {
  const auto& names = settings.host_placeholders;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string field = fmt::format("invitations.host_placeholders[{}]", i);
    const std::string& n = names[i];
    bool ok = !n.empty() && n.size() <= 32 && n[0] >= 'a' && n[0] <= 'z';
    for (char ch : n) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
    if (!ok) {
      return fail(Error::invalid(field, "must be 1-32 of [a-z0-9_], starting with a letter"));
    }
    for (auto p : placeholders) {
      if (p == n) {
        return fail(Error::invalid(field, fmt::format("'{}' is a built-in placeholder", n)));
      }
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (names[k] == n) return fail(Error::invalid(field, fmt::format("'{}' is declared twice", n)));
    }
  }
  if (!names.empty() && !settings.placeholder_values) {
    return fail(Error::invalid("invitations.placeholder_values",
                               "is required when host_placeholders are declared"));
  }
  ORGKIT_CHECK(check_template("invitations.templates.subject", settings.templates.subject, names));
  return check_template("invitations.templates.body", settings.templates.body, names);
}

}  // namespace orgkit::detail
