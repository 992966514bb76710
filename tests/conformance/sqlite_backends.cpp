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

}  // namespace

void register_sqlite_backends() {
  register_backend("sqlite-memory", []() { return open_sqlite(SqliteOptions{}); });
  register_backend("sqlite-file", []() -> Result<std::unique_ptr<Storage>> {
    auto file = std::make_unique<test::TempFile>("orgkit-conformance");
    SqliteOptions options;
    options.path = file->path();
    auto storage = open_sqlite(options);
    if (!storage) return fail(storage.error());
    return std::unique_ptr<Storage>(
        std::make_unique<FileBackedStorage>(std::move(file), std::move(*storage)));
  });
}

}  // namespace orgkit::conformance
