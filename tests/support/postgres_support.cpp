// A fresh PostgreSQL store per test (postgres_support.hpp). The schema is dropped through a
// connection of its own, after the store's pool has closed, so that no pooled connection
// holds a lock on the tables being dropped.
#include "support/postgres_support.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <vector>

extern char** environ;

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <catch2/catch.hpp>

#include <orgkit/storage_wrapper.hpp>

namespace orgkit::test {

namespace {

// Drops its schema when destroyed: a base of SchemaOwnedStorage listed before StorageWrapper,
// so that it is destroyed after the wrapped store (bases go in reverse order).
struct SchemaOwner {
  std::string schema;
  ~SchemaOwner() { drop_schema(schema); }
};

class SchemaOwnedStorage final : private SchemaOwner, public StorageWrapper {
 public:
  SchemaOwnedStorage(std::string schema, std::unique_ptr<Storage> target)
      : SchemaOwner{std::move(schema)}, StorageWrapper(std::move(target)) {}
};

}  // namespace

std::map<std::string, std::string> postgres_info() {
  const char* env = std::getenv("ORGKIT_PG_INFO");
  std::string path = env != nullptr ? env : "";
#ifdef ORGKIT_PG_INFO_DEFAULT
  if (path.empty()) path = ORGKIT_PG_INFO_DEFAULT;
#endif
  std::map<std::string, std::string> info;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) info[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return info;
}

std::string postgres_conninfo() {
  auto info = postgres_info();
  if (info["conninfo"].empty()) {
    FAIL("no PostgreSQL test server: run the postgres/server_start test first (ctest runs it "
         "as a fixture), or set ORGKIT_PG_INFO");
  }
  return info["conninfo"];
}

std::string fresh_schema_name() {
  static std::atomic<unsigned> counter{0};
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return "orgkit_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + suffix;
}

void drop_schema(const std::string& schema) noexcept {
  try {
    const auto info = postgres_info();
    const auto it = info.find("conninfo");
    if (it == info.end() || schema.empty()) return;
    pqxx::connection c(it->second);
    pqxx::nontransaction n(c);
    n.exec("SET client_min_messages = warning");
    n.exec("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  } catch (...) {
    // A test server that is gone takes its schemas with it.
  }
}

Result<std::unique_ptr<Storage>> open_postgres_store(PostgresOptions options) {
  if (options.connection.empty()) options.connection = postgres_conninfo();
  if (options.schema.empty() || options.schema == PostgresOptions{}.schema) {
    options.schema = fresh_schema_name();
  }
  auto storage = open_postgres(options);
  if (!storage) {
    drop_schema(options.schema);
    return fail(storage.error());
  }
  return std::unique_ptr<Storage>(
      std::make_unique<SchemaOwnedStorage>(options.schema, std::move(*storage)));
}

namespace {

// Runs `server.sh <command> <info>` and returns its exit status (the script bounds its own
// waits with pg_ctl -t).
int server_script(const std::string& command, const std::string& info) {
  std::vector<std::string> args{"sh", ORGKIT_PG_SERVER_SCRIPT, command, info};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

OwnServer::OwnServer(const std::string& label)
    : info_((std::filesystem::temp_directory_path() /
             ("orgkit-" + label + "-" + std::to_string(::getpid()) + ".info"))
                .string()) {
  REQUIRE(server_script("start", info_) == 0);
  ::setenv("ORGKIT_PG_INFO", info_.c_str(), 1);
}

OwnServer::~OwnServer() {
  // A frozen server cannot be stopped: let it run again first.
  for (int pid : server_processes()) ::kill(pid, SIGCONT);
  ::unsetenv("ORGKIT_PG_INFO");
  (void)server_script("stop", info_);
}

void OwnServer::pause() { REQUIRE(server_script("pause", info_) == 0); }
void OwnServer::resume() { REQUIRE(server_script("resume", info_) == 0); }

int OwnServer::postmaster_pid() const {
  const auto info = postgres_info();
  const auto it = info.find("pgdata");
  if (it == info.end()) return -1;
  std::ifstream in(it->second + "/postmaster.pid");
  int pid = -1;
  in >> pid;
  return in ? pid : -1;
}

std::vector<int> OwnServer::server_processes() const {
  const int postmaster = postmaster_pid();
  std::vector<int> out;
  if (postmaster <= 0) return out;
  out.push_back(postmaster);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == postmaster) out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace orgkit::test
