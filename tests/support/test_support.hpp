// Shared test helpers: REQUIRE_OK / REQUIRE_ERROR and a fresh Service per test on the storage
// chosen by ORGKIT_TEST_STORAGE ("memory", the default; "file": a new temporary file;
// "postgres": a fresh schema on the test server, see postgres_support.hpp, when built with
// ORGKIT_WITH_POSTGRES). ctest runs each suite once per storage, so every rule is checked
// against each.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>
#include <string>

#include <orgkit/orgkit.hpp>

#include "support/storage_doubles.hpp"

/// Requires a Result to hold a value; prints the error otherwise.
#define REQUIRE_OK(expr)                                                         \
  do {                                                                           \
    const auto& orgkit_r_ = (expr);                                              \
    INFO((orgkit_r_ ? std::string("ok") : orgkit::to_string(orgkit_r_.error()))); \
    REQUIRE(orgkit_r_.has_value());                                              \
  } while (false)

/// Requires a Result to hold an error with this code. Every error a test provokes is also
/// checked to be written for people: no internal rule id (docs/rules.md) in its message.
#define REQUIRE_ERROR(expr, error_code)                                           \
  do {                                                                            \
    const auto& orgkit_r_ = (expr);                                               \
    REQUIRE_FALSE(orgkit_r_.has_value());                                         \
    INFO(orgkit::to_string(orgkit_r_.error()));                                   \
    REQUIRE(orgkit_r_.error().code == (error_code));                              \
    CHECK_FALSE(orgkit::test::names_rule_id(orgkit_r_.error().message));           \
  } while (false)

namespace orgkit::test {

/// Whether `message` carries an internal rule id such as "P4" or "(I7)": an uppercase letter
/// from the rule families followed by digits, standing as a word.
bool names_rule_id(const std::string& message);

/// A unique temporary path, removed (with -wal and -shm) on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& stem = "orgkit-test");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A PolicyBuilder holding the standard policy, each role passed through `tweak` first (which
/// returns false to leave the role out), so a test states only how its policy differs.
PolicyBuilder standard_builder(const std::function<bool(RoleSpec&)>& tweak);

/// The storage under test: "memory", "file" or "postgres".
std::string storage_kind();

/// A Notifier that keeps every message, and can be told to fail.
class RecordingNotifier final : public Notifier {
 public:
  Result<void> deliver(const OutgoingMessage& message) override;
  std::vector<OutgoingMessage> messages() const;
  void fail_deliveries(bool fail);

 private:
  mutable std::mutex mutex_;
  std::vector<OutgoingMessage> messages_;
  bool fail_ = false;
};

/// Everything a test needs: a Service over fresh storage and a clock it controls.
struct Fixture {
  explicit Fixture(ServiceOptions options = {});
  /// Fails the test if any transaction broke its declared write scope.
  ~Fixture();
  std::shared_ptr<ScopeViolations> scope_violations = std::make_shared<ScopeViolations>();
  std::unique_ptr<TempFile> file;  // set when storage_kind() == "file"
  std::shared_ptr<ManualClock> clock;
  std::shared_ptr<RecordingNotifier> notifier;
  std::unique_ptr<Service> kit;
  Storage* storage = nullptr;  // owned by kit; for white-box checks of what was stored
                               // (a ScopeCheckingStorage over the backend under test)

  /// An actor with id `id`, email `id@example.com`, in the default tenant.
  static Actor user(const std::string& id, const std::string& tenant = "default");

  /// Creates an organization owned by `owner`; fails the test if that fails.
  Organization org(const Actor& owner, const std::string& name = "Acme");

  /// Adds `who` with `role` by `by`; fails the test if that fails.
  void add(const Actor& by, OrgId org, const Actor& who, const std::string& role);

  /// The audit actions of `org`, newest first, read as `reader`.
  std::vector<std::string> actions(const Actor& reader, OrgId org);
};

/// The usual cast: an organization "Acme" with an owner, an admin and a member.
struct Team {
  explicit Team(ServiceOptions options = {});
  Fixture f;
  Actor owner = Fixture::user("owner");
  Actor admin = Fixture::user("admin");
  Actor member = Fixture::user("member");
  Organization org;
};

}  // namespace orgkit::test
