// The gathering VFS: see wal_vfs.hpp.
//
// A shim in the manner of SQLite's own test_vfstrace.c: every call goes to the default VFS,
// and each file SQLite opens through it is this file's `File` followed, in the same
// allocation, by the default VFS's own file. Only the WAL file's write path differs.
#include "sqlite/wal_vfs.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sqlite3.h>

namespace orgkit::sqlite {
namespace {

constexpr int frame_header_size = 24;  // a WAL frame's header (WAL_FRAME_HDRSIZE)
// The default VFS writes at most 128 KiB - 1 bytes per call (unixWrite masks the length):
// a run is written before it would pass this size.
constexpr int run_limit = 96 * 1024;
constexpr int first_capacity = 32 * 1024;

sqlite3_vfs* base_vfs = nullptr;  // the default VFS, set once before registration
sqlite3_vfs gathering_vfs;

struct File {
  sqlite3_file header;  // pMethods: one of the tables below
  sqlite3_file* real;   // the default VFS's file, after this struct
  // The WAL file: the run of frames not yet written, from `offset`.
  File* database = nullptr;  // its database file, if found
  unsigned char* buffer = nullptr;
  sqlite3_int64 offset = 0;
  int size = 0;
  int capacity = 0;
  int writes = 0;                  // the calls the run holds
  bool commit_pending = false;     // the run ends with the header of a commit frame
  int deferred_error = SQLITE_OK;  // a write that failed where no error could be returned
  // The database file: its WAL, while open.
  File* wal = nullptr;
};

std::atomic<std::uint64_t> runs_written{0}, writes_gathered{0};

constexpr std::size_t real_offset = (sizeof(File) + 15) & ~std::size_t{15};

File* self(sqlite3_file* f) {
  return reinterpret_cast<File*>(f);
}
sqlite3_file* real(sqlite3_file* f) {
  return self(f)->real;
}
const sqlite3_io_methods& methods(sqlite3_file* f) {
  return *real(f)->pMethods;
}

// A frame header whose "database size after commit" field is set ends a transaction.
bool commits(const void* frame_header) {
  const auto* b = static_cast<const unsigned char*>(frame_header);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int write_run(File* f) {
  if (f->size == 0) return SQLITE_OK;
  const int size = f->size;
  runs_written.fetch_add(1, std::memory_order_relaxed);
  writes_gathered.fetch_add(static_cast<std::uint64_t>(f->writes), std::memory_order_relaxed);
  f->size = 0;
  f->writes = 0;
  f->commit_pending = false;
  return f->real->pMethods->xWrite(f->real, f->buffer, size, f->offset);
}

// Writes the run and returns any error still owed to SQLite.
int settle(File* f) {
  const int rc = write_run(f);
  if (f->deferred_error != SQLITE_OK) {
    const int owed = f->deferred_error;
    f->deferred_error = SQLITE_OK;
    return owed;
  }
  return rc;
}

bool reserve(File* f, int more) {
  const int needed = f->size + more;
  if (needed <= f->capacity) return true;
  int capacity = f->capacity > 0 ? f->capacity : first_capacity;
  while (capacity < needed) capacity *= 2;
  void* grown = std::realloc(f->buffer, static_cast<std::size_t>(capacity));
  if (grown == nullptr) return false;
  f->buffer = static_cast<unsigned char*>(grown);
  f->capacity = capacity;
  return true;
}

// --- every file: forwarded --------------------------------------------------------------

int x_close(sqlite3_file* f) {
  return methods(f).xClose(real(f));
}
int x_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return methods(f).xRead(real(f), out, amount, offset);
}
int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  return methods(f).xWrite(real(f), data, amount, offset);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return methods(f).xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  return methods(f).xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return methods(f).xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) {
  return methods(f).xLock(real(f), level);
}
int x_unlock(sqlite3_file* f, int level) {
  return methods(f).xUnlock(real(f), level);
}
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return methods(f).xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return methods(f).xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
  return methods(f).xSectorSize(real(f));
}
int x_device_characteristics(sqlite3_file* f) {
  return methods(f).xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  if (methods(f).iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return methods(f).xShmMap(real(f), page, page_size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  if (methods(f).iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return methods(f).xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  if (methods(f).iVersion >= 2) methods(f).xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  if (methods(f).iVersion < 2) return SQLITE_OK;
  return methods(f).xShmUnmap(real(f), delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  if (methods(f).iVersion < 3) {
    *out = nullptr;
    return SQLITE_OK;
  }
  return methods(f).xFetch(real(f), offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  if (methods(f).iVersion < 3) return SQLITE_OK;
  return methods(f).xUnfetch(real(f), offset, p);
}

// --- the database file: knows its WAL, and writes the WAL's run before a barrier ----------

int database_close(sqlite3_file* f) {
  if (File* wal = self(f)->wal) wal->database = nullptr;
  return x_close(f);
}

// SQLite publishes a wal-index header between two copies separated by this barrier. The run
// was already written with the commit frame; any left (frames a transaction spilled) are
// written now, so that whatever the header names is in the file. An error here cannot be
// returned: the WAL returns it to its next caller.
void database_shm_barrier(sqlite3_file* f) {
  if (File* wal = self(f)->wal) {
    const int rc = write_run(wal);
    if (rc != SQLITE_OK && wal->deferred_error == SQLITE_OK) wal->deferred_error = rc;
  }
  x_shm_barrier(f);
}

// --- the WAL file -----------------------------------------------------------------------

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = self(file);
  if (f->deferred_error != SQLITE_OK) return settle(f);
  const bool header = amount == frame_header_size;
  bool extends_run = f->size > 0 && offset == f->offset + f->size;
  if (extends_run && f->size + amount > run_limit) {
    if (const int rc = write_run(f); rc != SQLITE_OK) return rc;
    extends_run = false;
  }
  if (!extends_run) {
    if (const int rc = write_run(f); rc != SQLITE_OK) return rc;
    // A run starts at an ordinary frame's header. The WAL header, a page or checksum
    // rewritten in place and a transaction of one frame go to the file as they come.
    if (!header || commits(data)) return x_write(file, data, amount, offset);
    f->offset = offset;
  }
  if (!reserve(f, amount)) {
    if (const int rc = write_run(f); rc != SQLITE_OK) return rc;
    return x_write(file, data, amount, offset);
  }
  std::memcpy(f->buffer + f->size, data, static_cast<std::size_t>(amount));
  f->size += amount;
  ++f->writes;
  if (f->commit_pending) return write_run(f);  // the commit frame is whole: one write
  if (header && commits(data)) f->commit_pending = true;
  return SQLITE_OK;
}

int wal_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  if (const int rc = settle(self(f)); rc != SQLITE_OK) return rc;
  return x_read(f, out, amount, offset);
}
int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int rc = settle(self(f)); rc != SQLITE_OK) return rc;
  return x_truncate(f, size);
}
int wal_sync(sqlite3_file* f, int flags) {
  if (const int rc = settle(self(f)); rc != SQLITE_OK) return rc;
  return x_sync(f, flags);
}
int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (const int rc = settle(self(f)); rc != SQLITE_OK) return rc;
  return x_file_size(f, size);
}
int wal_file_control(sqlite3_file* f, int op, void* arg) {
  if (const int rc = settle(self(f)); rc != SQLITE_OK) return rc;
  return x_file_control(f, op, arg);
}
int wal_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = settle(self(f)); rc != SQLITE_OK) {
    *out = nullptr;
    return rc;
  }
  return x_fetch(f, offset, amount, out);
}
int wal_close(sqlite3_file* file) {
  File* f = self(file);
  const int written = settle(f);
  if (f->database != nullptr) f->database->wal = nullptr;
  const int closed = x_close(file);
  std::free(f->buffer);
  f->buffer = nullptr;
  return written != SQLITE_OK ? written : closed;
}

// Every file forwards every call; the database and WAL files differ where said above.
constexpr sqlite3_io_methods plain_methods = [] {
  sqlite3_io_methods m{};
  m.iVersion = 3;
  m.xClose = x_close;
  m.xRead = x_read;
  m.xWrite = x_write;
  m.xTruncate = x_truncate;
  m.xSync = x_sync;
  m.xFileSize = x_file_size;
  m.xLock = x_lock;
  m.xUnlock = x_unlock;
  m.xCheckReservedLock = x_check_reserved_lock;
  m.xFileControl = x_file_control;
  m.xSectorSize = x_sector_size;
  m.xDeviceCharacteristics = x_device_characteristics;
  m.xShmMap = x_shm_map;
  m.xShmLock = x_shm_lock;
  m.xShmBarrier = x_shm_barrier;
  m.xShmUnmap = x_shm_unmap;
  m.xFetch = x_fetch;
  m.xUnfetch = x_unfetch;
  return m;
}();

constexpr sqlite3_io_methods database_methods = [] {
  sqlite3_io_methods m = plain_methods;
  m.xClose = database_close;
  m.xShmBarrier = database_shm_barrier;
  return m;
}();

constexpr sqlite3_io_methods wal_methods = [] {
  sqlite3_io_methods m = plain_methods;
  m.xClose = wal_close;
  m.xRead = wal_read;
  m.xWrite = wal_write;
  m.xTruncate = wal_truncate;
  m.xSync = wal_sync;
  m.xFileSize = wal_file_size;
  m.xFileControl = wal_file_control;
  m.xFetch = wal_fetch;
  return m;
}();

// --- the VFS ------------------------------------------------------------------------------

int vfs_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = new (file) File();
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_offset);
  f->real->pMethods = nullptr;
  const int rc = base_vfs->xOpen(base_vfs, name, f->real, flags, out_flags);
  // SQLite closes a file whose pMethods is set, even when the open failed.
  if (f->real->pMethods == nullptr) {
    f->header.pMethods = nullptr;
    return rc;
  }
  if ((flags & SQLITE_OPEN_WAL) != 0) {
    f->header.pMethods = &wal_methods;
    sqlite3_file* database = name != nullptr ? sqlite3_database_file_object(name) : nullptr;
    if (database != nullptr && database->pMethods == &database_methods) {
      f->database = self(database);
      f->database->wal = f;
    }
  } else if ((flags & SQLITE_OPEN_MAIN_DB) != 0) {
    f->header.pMethods = &database_methods;
  } else {
    f->header.pMethods = &plain_methods;
  }
  return rc;
}

int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, size, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) {
  return base_vfs->xDlOpen(base_vfs, name);
}
void vfs_dl_error(sqlite3_vfs*, int size, char* out) {
  base_vfs->xDlError(base_vfs, size, out);
}
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) {
  base_vfs->xDlClose(base_vfs, handle);
}
int vfs_randomness(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xRandomness(base_vfs, size, out);
}
int vfs_sleep(sqlite3_vfs*, int micros) {
  return base_vfs->xSleep(base_vfs, micros);
}
int vfs_current_time(sqlite3_vfs*, double* out) {
  return base_vfs->xCurrentTime(base_vfs, out);
}
int vfs_get_last_error(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xGetLastError != nullptr ? base_vfs->xGetLastError(base_vfs, size, out) : 0;
}
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  if (base_vfs->iVersion >= 2 && base_vfs->xCurrentTimeInt64 != nullptr) {
    return base_vfs->xCurrentTimeInt64(base_vfs, out);
  }
  double days = 0;
  const int rc = base_vfs->xCurrentTime(base_vfs, &days);
  *out = static_cast<sqlite3_int64>(days * 86400000.0);
  return rc;
}

const char* register_vfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (base_vfs == nullptr) return nullptr;
  static constexpr const char* name = "orgkit-gathering-wal";
  gathering_vfs.iVersion = 2;
  gathering_vfs.szOsFile = static_cast<int>(real_offset) + base_vfs->szOsFile;
  gathering_vfs.mxPathname = base_vfs->mxPathname;
  gathering_vfs.pNext = nullptr;
  gathering_vfs.zName = name;
  gathering_vfs.pAppData = nullptr;
  gathering_vfs.xOpen = vfs_open;
  gathering_vfs.xDelete = vfs_delete;
  gathering_vfs.xAccess = vfs_access;
  gathering_vfs.xFullPathname = vfs_full_pathname;
  gathering_vfs.xDlOpen = vfs_dl_open;
  gathering_vfs.xDlError = vfs_dl_error;
  gathering_vfs.xDlSym = vfs_dl_sym;
  gathering_vfs.xDlClose = vfs_dl_close;
  gathering_vfs.xRandomness = vfs_randomness;
  gathering_vfs.xSleep = vfs_sleep;
  gathering_vfs.xCurrentTime = vfs_current_time;
  gathering_vfs.xGetLastError = vfs_get_last_error;
  gathering_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
  if (sqlite3_vfs_register(&gathering_vfs, 0) != SQLITE_OK) return nullptr;
  return name;
}

}  // namespace

const char* wal_vfs_name() noexcept {
  static const char* const name = register_vfs();
  return name;
}

WalVfsCounts wal_vfs_counts() noexcept {
  return {runs_written.load(std::memory_order_relaxed),
          writes_gathered.load(std::memory_order_relaxed)};
}

}  // namespace orgkit::sqlite
