// Host-defined placeholders in invitation templates (issue 8, seed 004's welcome email:
// "Access to [Model List] AI models ... [Storage Limit] file storage"): declared names,
// checked when the Service is created, with values from the host for each message.
#include "support/test_support.hpp"

#include <stdexcept>

using namespace orgkit;
using test::Fixture;

namespace {

ServiceOptions with_host_placeholders() {
  ServiceOptions o;
  o.invitations.host_placeholders = {"model_list", "storage_limit"};
  o.invitations.templates.subject = "Join {organization}: {model_list}";
  o.invitations.templates.body =
      "You've been invited to join {organization} on mixus!\n"
      "- Access to {model_list} AI models\n- {storage_limit} file storage\n{accept_url}\n";
  o.invitations.placeholder_values = [](const Organization& org, const Invitation& inv) {
    std::map<std::string, std::string> v{{"model_list", "GPT-5, Claude"}};
    if (org.name != "Tiny") v["storage_limit"] = inv.role == "admin" ? "1 TB" : "100 GB";
    return v;
  };
  return o;
}

InviteRequest to(const std::string& email, const std::string& role = "member") {
  InviteRequest r;
  r.email = email;
  r.role = role;
  return r;
}

Result<std::unique_ptr<Service>> create(ServiceOptions o) {
  auto store = open_sqlite(SqliteOptions{});
  if (!store) return fail(store.error());
  return Service::create(std::move(*store), std::move(o));
}

}  // namespace

TEST_CASE("host placeholders render the host's values in every message",
          "[issue8][I1][I4][I6][seed004]") {
  Fixture f(with_host_placeholders());
  const Actor owner = Fixture::user("owner");
  const OrgId org = f.org(owner, "mixus Team").id;

  auto invited = f.kit->invite(owner, org, to("a@company.com", "admin"));
  REQUIRE_OK(invited);
  REQUIRE(f.notifier->messages().size() == 1);
  const auto first = f.notifier->messages().back();
  CHECK(first.subject == "Join mixus Team: GPT-5, Claude");
  CHECK(first.body.find("Access to GPT-5, Claude AI models") != std::string::npos);
  CHECK(first.body.find("- 1 TB file storage") != std::string::npos);

  // Resending and CSV rows render through the same values.
  REQUIRE_OK(f.kit->resend_invitation(owner, org, invited->invitation.id));
  CHECK(f.notifier->messages().back().body.find("1 TB") != std::string::npos);
  REQUIRE_OK(f.kit->import_invitations_csv(owner, org, "email,role\nb@company.com,member\n"));
  CHECK(f.notifier->messages().back().body.find("- 100 GB file storage") != std::string::npos);

  SECTION("a declared name the host leaves out renders empty") {
    const OrgId tiny = f.org(owner, "Tiny").id;
    REQUIRE_OK(f.kit->invite(owner, tiny, to("c@company.com")));
    CHECK(f.notifier->messages().back().body.find("\n-  file storage") != std::string::npos);
  }
}

TEST_CASE("host placeholders: a value never breaks the subject onto a second line",
          "[issue8][I1]") {
  auto o = with_host_placeholders();
  o.invitations.placeholder_values = [](const Organization&, const Invitation&) {
    return std::map<std::string, std::string>{{"model_list", "A\r\nBcc: evil@example.com"}};
  };
  Fixture f(std::move(o));
  const Actor owner = Fixture::user("owner");
  const OrgId org = f.org(owner).id;
  REQUIRE_OK(f.kit->invite(owner, org, to("a@company.com")));
  const auto m = f.notifier->messages().back();
  CHECK(m.subject.find('\n') == std::string::npos);
  CHECK(m.subject.find('\r') == std::string::npos);
}

TEST_CASE("host placeholders are checked when the Service is created", "[issue8][E2]") {
  SECTION("a template naming an undeclared placeholder") {
    auto o = with_host_placeholders();
    o.invitations.host_placeholders = {"storage_limit"};
    auto r = create(std::move(o));
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "invitations.templates.subject");
    CHECK(r.error().message.find("model_list") != std::string::npos);
  }
  SECTION("bad names") {
    for (const auto& [names, index] :
         std::vector<std::pair<std::vector<std::string>, int>>{{{"Model"}, 0},
                                                               {{"model_list", "role"}, 1},
                                                               {{"model_list", "model_list"}, 1},
                                                               {{""}, 0},
                                                               {{"9lives"}, 0},
                                                               {{"model-list"}, 0},
                                                               {{std::string(33, 'a')}, 0}}) {
      auto o = with_host_placeholders();
      o.invitations.templates = {};
      o.invitations.host_placeholders = names;
      auto r = create(std::move(o));
      REQUIRE_ERROR(r, ErrorCode::invalid_argument);
      CHECK(r.error().field == "invitations.host_placeholders[" + std::to_string(index) + "]");
    }
  }
  SECTION("declared names need a source of values") {
    auto o = with_host_placeholders();
    o.invitations.placeholder_values = nullptr;
    auto r = create(std::move(o));
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "invitations.placeholder_values");
  }
  SECTION("without declarations the built-in placeholders alone are known") {
    ServiceOptions o;
    o.invitations.templates.body = "{model_list}";
    REQUIRE_ERROR(create(std::move(o)), ErrorCode::invalid_argument);
  }
}

TEST_CASE("bad values from the host fail that invitation and write nothing", "[issue8][I1]") {
  using Values = std::function<std::map<std::string, std::string>(const Organization&,
                                                                  const Invitation&)>;
  const std::vector<std::pair<std::string, Values>> cases = {
      {"an undeclared name",
       [](const Organization&, const Invitation&) {
         return std::map<std::string, std::string>{{"secret_sauce", "x"}};
       }},
      {"an overlong value",
       [](const Organization&, const Invitation&) {
         return std::map<std::string, std::string>{{"model_list", std::string(1001, 'm')}};
       }},
      {"a throwing source",
       [](const Organization&, const Invitation&) -> std::map<std::string, std::string> {
         throw std::runtime_error("catalogue service down");
       }},
  };
  for (const auto& [what, values] : cases) {
    INFO(what);
    auto o = with_host_placeholders();
    o.invitations.placeholder_values = values;
    Fixture f(std::move(o));
    const Actor owner = Fixture::user("owner");
    const OrgId org = f.org(owner).id;
    auto r = f.kit->invite(owner, org, to("a@company.com"));
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "invitations.placeholder_values");
    auto listed = f.kit->list_invitations(owner, org);
    REQUIRE_OK(listed);
    CHECK(listed->items.empty());
    CHECK(f.notifier->messages().empty());
  }
}

namespace {

/// Keeps a copy of every invitation message that travels with an event.
struct MessageSink final : EventSink {
  Result<void> on_event(const ChangeEvent& e) override {
    if (e.message != nullptr) messages.push_back(*e.message);
    return {};
  }
  std::vector<OutgoingMessage> messages;
};

}  // namespace

TEST_CASE("a message is rendered only when a sink would receive it", "[issue9][I1][I4][I6]") {
  // Rendering costs a tenth of a CSV import; with no notifier and no sink nobody reads it.
  // Counting calls to the host's callback shows whether a message was rendered.
  auto calls = std::make_shared<int>(0);
  auto counting = [calls]() {
    auto o = with_host_placeholders();
    o.invitations.placeholder_values = [calls](const Organization&, const Invitation&) {
      ++*calls;
      return std::map<std::string, std::string>{{"model_list", "GPT-5"}};
    };
    return o;
  };
  const Actor owner = Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";

  SECTION("no sink at all: invite, CSV import, resend and accept work, nothing is rendered") {
    auto kit = create(counting());
    REQUIRE_OK(kit);
    auto org = (*kit)->create_organization(owner, spec);
    REQUIRE_OK(org);
    auto invited = (*kit)->invite(owner, org->id, to("a@company.com"));
    REQUIRE_OK(invited);
    CHECK(invited->accept_url.find(invited->token) != std::string::npos);
    CHECK_FALSE(invited->delivery_error);
    auto imported = (*kit)->import_invitations_csv(owner, org->id,
                                                   "email,role\nb@company.com,member\n");
    REQUIRE_OK(imported);
    CHECK(imported->invited == 1);
    auto resent = (*kit)->resend_invitation(owner, org->id, invited->invitation.id);
    REQUIRE_OK(resent);
    Actor invitee = Fixture::user("a");
    invitee.email = "a@company.com";
    REQUIRE_OK((*kit)->accept_invitation(invitee, resent->token));
    CHECK(*calls == 0);
  }

  SECTION("an EventSink alone still gets every message, rendered with the link") {
    auto o = counting();
    auto sink = std::make_shared<MessageSink>();
    o.sinks.push_back(sink);
    auto kit = create(std::move(o));
    REQUIRE_OK(kit);
    auto org = (*kit)->create_organization(owner, spec);
    REQUIRE_OK(org);
    auto invited = (*kit)->invite(owner, org->id, to("a@company.com"));
    REQUIRE_OK(invited);
    auto imported = (*kit)->import_invitations_csv(owner, org->id,
                                                   "email,role\nb@company.com,member\n");
    REQUIRE_OK(imported);
    auto resent = (*kit)->resend_invitation(owner, org->id, invited->invitation.id);
    REQUIRE_OK(resent);
    REQUIRE(sink->messages.size() == 3);
    CHECK(sink->messages[0].accept_url == invited->accept_url);
    CHECK(sink->messages[0].subject == "Join Acme: GPT-5");
    CHECK(sink->messages[1].to == "b@company.com");
    CHECK(sink->messages[2].accept_url == resent->accept_url);
    CHECK(sink->messages[2].invitation == invited->invitation.id);
    CHECK(*calls == 3);
  }
}
