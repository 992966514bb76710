// Service::open_sqlite: the convenience that ties the facade to the bundled SQLite storage.
// It lives in the SQLite target, so that orgkit::core alone never links SQLite.
#include <orgkit/service.hpp>
#include <orgkit/sqlite.hpp>

namespace orgkit {

Result<std::unique_ptr<Service>> Service::open_sqlite(const std::string& path,
                                                      ServiceOptions options) {
  SqliteOptions so;
  so.path = path;
  return open_sqlite(so, std::move(options));
}

Result<std::unique_ptr<Service>> Service::open_sqlite(const SqliteOptions& so,
                                                      ServiceOptions options) {
  // Options first: a bad option opens (and so creates) no file.
  if (auto ok = validate_options(options); !ok) return fail(std::move(ok).error());
  auto storage = orgkit::open_sqlite(so);
  if (!storage) return fail(std::move(storage).error());
  return create(std::move(*storage), std::move(options));
}

}  // namespace orgkit
