// The bundled SQLite store as conformance backends: in memory and on a file.
#include "conformance/backends.hpp"
#include "conformance/conformance.hpp"

#include <orgkit/storage_wrapper.hpp>

namespace orgkit::conformance {
namespace {

// Holds the temporary file of a file-backed store.
struct TempFileOwner {
  std::unique_ptr<test::TempFile> file;
};

// A store on a temporary file that it removes when it is destroyed. Bases are destroyed in
// reverse order: StorageWrapper (the open database) first, then the file, so SQLite never
// writes to a file that is already gone. Every call goes through StorageWrapper's
// forwarding, which this backend thereby checks as well.
class FileBackedStorage final : private TempFileOwner, public StorageWrapper {
 public:
  FileBackedStorage(std::unique_ptr<test::TempFile> temp, std::unique_ptr<Storage> target)
      : TempFileOwner{std::move(temp)}, StorageWrapper(std::move(target)) {}
};

// The role index (src/sqlite/role_index.hpp) is built once a Service tells the store its
// policy's roles and its owner role; until then every query reads without it. The suite
// calls the store directly, so it runs each file kind twice: as opened, and told the
// standard policy's roles as a Service would, so that both copies of every role query
// (with the index and without) meet the same cases.
Result<std::unique_ptr<Storage>> with_role_index(Result<std::unique_ptr<Storage>> storage) {
  if (!storage) return storage;
  const PermissionPolicy policy = PermissionPolicy::standard();
  std::vector<std::string> roles;
  for (const auto& role : policy.roles()) roles.push_back(role.name);
  (*storage)->note_policy_roles(roles);
  (*storage)->note_owner_role("owner");
  return storage;
}

Result<std::unique_ptr<Storage>> sqlite_memory() { return open_sqlite(SqliteOptions{}); }

Result<std::unique_ptr<Storage>> sqlite_file() {
  auto file = std::make_unique<test::TempFile>("orgkit-conformance");
  SqliteOptions options;
  options.path = file->path();
  auto storage = open_sqlite(options);
  if (!storage) return fail(storage.error());
  return std::unique_ptr<Storage>(
      std::make_unique<FileBackedStorage>(std::move(file), std::move(*storage)));
}

}  // namespace

void register_sqlite_backends() {
  register_backend("sqlite-memory", sqlite_memory);
  register_backend("sqlite-file", sqlite_file);
  register_backend("sqlite-memory-role-index", []() { return with_role_index(sqlite_memory()); });
  register_backend("sqlite-file-role-index", []() { return with_role_index(sqlite_file()); });
}

}  // namespace orgkit::conformance
