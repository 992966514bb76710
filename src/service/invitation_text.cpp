// The words of invitations: matching keys, audit targets, times, and the message templates
// (checked when the Service is created, rendered per invitation).
#include <ctime>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/invitation_steps.hpp"
#include "validate.hpp"

namespace orgkit::detail {

std::string email_key(std::string_view email) {
  std::string key = validate::trim(email);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

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
Result<void> check_template(std::string_view field, std::string_view t) {
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
    if (!known) {
      return fail(Error::invalid(std::string(field),
                                 fmt::format("unknown placeholder {{{}}}; known: {{organization}} "
                                             "{{inviter}} {{inviter_email}} {{role}} {{message}} "
                                             "{{department}} {{accept_url}} {{expires_at}} "
                                             "{{email}}",
                                             name)));
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

std::string render_one(const std::string& tmpl, const TemplateValues& v) {
  return fmt::format(fmt::runtime(tmpl), fmt::arg("organization", v.organization),
                     fmt::arg("inviter", v.inviter), fmt::arg("inviter_email", v.inviter_email),
                     fmt::arg("role", v.role), fmt::arg("message", v.message),
                     fmt::arg("department", v.department), fmt::arg("accept_url", v.accept_url),
                     fmt::arg("expires_at", v.expires_at), fmt::arg("email", v.email));
}

}  // namespace

Result<OutgoingMessage> render(const MessageTemplates& t, OutgoingMessage::Kind kind,
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
    m.subject = render_one(t.subject, subject_values);
    m.body = render_one(t.body, v);
  } catch (const std::exception& e) {  // fmt::format_error, std::bad_alloc: never escape
    return fail(
        Error::invalid("invitations.templates", fmt::format("cannot render: {}", e.what())));
  }
  return m;
}

Result<void> check_templates(const MessageTemplates& templates) {
  ORGKIT_CHECK(check_template("invitations.templates.subject", templates.subject));
  return check_template("invitations.templates.body", templates.body);
}

}  // namespace orgkit::detail
