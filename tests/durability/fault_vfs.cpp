// FaultVfs: see fault_vfs.hpp.
#include "durability/fault_vfs.hpp"

#include <sqlite3.h>

#include <cstring>
#include <stdexcept>

namespace orgkit::test {

const char* to_string(VfsOp op) {
  switch (op) {
    case VfsOp::write:
      return "write";
    case VfsOp::sync:
      return "sync";
    case VfsOp::truncate:
      return "truncate";
    case VfsOp::shm_map:
      return "shm_map";
    case VfsOp::shm_lock:
      return "shm_lock";
  }
  return "?";
}

const char* to_string(VfsFault fault) {
  switch (fault) {
    case VfsFault::eio:
      return "EIO";
    case VfsFault::enospc:
      return "ENOSPC";
    case VfsFault::short_write:
      return "short write";
  }
  return "?";
}

namespace {

sqlite3_vfs* base = nullptr;  // SQLite's default VFS, which every call goes on to
sqlite3_vfs wrapper{};
FaultVfs* self = nullptr;

// Our file: SQLite allocates szOsFile bytes; the real file follows our header.
struct File {
  sqlite3_file base;
  std::string* path;  // owned; null for a file without a name (temporary files)
  bool recorded;      // a main database or WAL file (power loss replay)
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

File* as_file(sqlite3_file* f) {
  return reinterpret_cast<File*>(f);
}

int error_for(VfsOp op, VfsFault fault) {
  if (fault == VfsFault::enospc || fault == VfsFault::short_write) return SQLITE_FULL;
  switch (op) {
    case VfsOp::write:
      return SQLITE_IOERR_WRITE;
    case VfsOp::sync:
      return SQLITE_IOERR_FSYNC;
    case VfsOp::truncate:
      return SQLITE_IOERR_TRUNCATE;
    case VfsOp::shm_map:
      return SQLITE_IOERR_SHMMAP;
    case VfsOp::shm_lock:
      return SQLITE_IOERR_SHMLOCK;
  }
  return SQLITE_IOERR;
}

int x_close(sqlite3_file* f) {
  File* p = as_file(f);
  const int rc =
      p->real()->pMethods != nullptr ? p->real()->pMethods->xClose(p->real()) : SQLITE_OK;
  delete p->path;
  p->path = nullptr;
  return rc;
}

int x_read(sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
  return as_file(f)->real()->pMethods->xRead(as_file(f)->real(), out, n, at);
}

int x_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 at) {
  File* p = as_file(f);
  if (const int rc = self->fault_for(VfsOp::write); rc != 0) {
    if (self->armed_fault() == VfsFault::short_write && n > 1) {
      (void)p->real()->pMethods->xWrite(p->real(), data, n / 2, at);
      if (p->recorded) {
        self->record(
            {VfsRecord::Kind::write, *p->path, at,
             std::string(static_cast<const char*>(data), static_cast<std::size_t>(n / 2))});
      }
    }
    return rc;
  }
  const int rc = p->real()->pMethods->xWrite(p->real(), data, n, at);
  if (rc == SQLITE_OK && p->recorded) {
    self->record({VfsRecord::Kind::write, *p->path, at,
                  std::string(static_cast<const char*>(data), static_cast<std::size_t>(n))});
  }
  return rc;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  File* p = as_file(f);
  if (const int rc = self->fault_for(VfsOp::truncate); rc != 0) return rc;
  const int rc = p->real()->pMethods->xTruncate(p->real(), size);
  if (rc == SQLITE_OK && p->recorded) self->record({VfsRecord::Kind::truncate, *p->path, size, {}});
  return rc;
}

int x_sync(sqlite3_file* f, int flags) {
  File* p = as_file(f);
  if (const int rc = self->fault_for(VfsOp::sync); rc != 0) return rc;
  const int rc = p->real()->pMethods->xSync(p->real(), flags);
  if (rc == SQLITE_OK && p->recorded) self->record({VfsRecord::Kind::sync, *p->path, 0, {}});
  return rc;
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return as_file(f)->real()->pMethods->xFileSize(as_file(f)->real(), size);
}
int x_lock(sqlite3_file* f, int level) {
  return as_file(f)->real()->pMethods->xLock(as_file(f)->real(), level);
}
int x_unlock(sqlite3_file* f, int level) {
  return as_file(f)->real()->pMethods->xUnlock(as_file(f)->real(), level);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  return as_file(f)->real()->pMethods->xCheckReservedLock(as_file(f)->real(), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return as_file(f)->real()->pMethods->xFileControl(as_file(f)->real(), op, arg);
}
int x_sector_size(sqlite3_file* f) {
  return as_file(f)->real()->pMethods->xSectorSize(as_file(f)->real());
}
int x_device(sqlite3_file* f) {
  return as_file(f)->real()->pMethods->xDeviceCharacteristics(as_file(f)->real());
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  if (const int rc = self->fault_for(VfsOp::shm_map); rc != 0) return rc;
  return as_file(f)->real()->pMethods->xShmMap(as_file(f)->real(), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  // Only taking a lock can fail; releasing one must not (SQLite asserts it does not).
  if ((flags & SQLITE_SHM_LOCK) != 0) {
    if (const int rc = self->fault_for(VfsOp::shm_lock); rc != 0) return rc;
  }
  return as_file(f)->real()->pMethods->xShmLock(as_file(f)->real(), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  as_file(f)->real()->pMethods->xShmBarrier(as_file(f)->real());
}
int x_shm_unmap(sqlite3_file* f, int del) {
  return as_file(f)->real()->pMethods->xShmUnmap(as_file(f)->real(), del);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
  return as_file(f)->real()->pMethods->xFetch(as_file(f)->real(), at, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  return as_file(f)->real()->pMethods->xUnfetch(as_file(f)->real(), at, p);
}

const sqlite3_io_methods methods = {3,           x_close,          x_read,         x_write,
                                    x_truncate,  x_sync,           x_file_size,    x_lock,
                                    x_unlock,    x_check_reserved, x_file_control, x_sector_size,
                                    x_device,    x_shm_map,        x_shm_lock,     x_shm_barrier,
                                    x_shm_unmap, x_fetch,          x_unfetch};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* p = as_file(f);
  p->base.pMethods = nullptr;
  p->path = nullptr;
  p->recorded = false;
  const int rc = base->xOpen(base, name, p->real(), flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // SQLite calls no method of a file whose open failed
  if (name != nullptr) {
    p->path = new std::string(name);
    p->recorded =
        (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0 && self->recording(*p->path);
  }
  p->base.pMethods = &methods;
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base->xDelete(base, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base->xAccess(base, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return base->xFullPathname(base, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) {
  return base->xDlOpen(base, name);
}
void x_dl_error(sqlite3_vfs*, int n, char* out) {
  base->xDlError(base, n, out);
}
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return base->xDlSym(base, h, sym);
}
void x_dl_close(sqlite3_vfs*, void* h) {
  base->xDlClose(base, h);
}
int x_randomness(sqlite3_vfs*, int n, char* out) {
  return base->xRandomness(base, n, out);
}
int x_sleep(sqlite3_vfs*, int us) {
  return base->xSleep(base, us);
}
int x_current_time(sqlite3_vfs*, double* out) {
  return base->xCurrentTime(base, out);
}
int x_last_error(sqlite3_vfs*, int n, char* out) {
  return base->xGetLastError(base, n, out);
}
int x_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
  return base->xCurrentTimeInt64(base, out);
}

}  // namespace

FaultVfs& FaultVfs::install() {
  static FaultVfs* instance = [] {
    auto* v = new FaultVfs();
    self = v;
    base = sqlite3_vfs_find(nullptr);
    if (base == nullptr) throw std::runtime_error("no default SQLite VFS");
    wrapper.iVersion = 2;
    wrapper.szOsFile = static_cast<int>(sizeof(File)) + base->szOsFile;
    wrapper.mxPathname = base->mxPathname;
    wrapper.zName = "orgkit-test-faults";
    wrapper.xOpen = x_open;
    wrapper.xDelete = x_delete;
    wrapper.xAccess = x_access;
    wrapper.xFullPathname = x_full_pathname;
    wrapper.xDlOpen = x_dl_open;
    wrapper.xDlError = x_dl_error;
    wrapper.xDlSym = x_dl_sym;
    wrapper.xDlClose = x_dl_close;
    wrapper.xRandomness = x_randomness;
    wrapper.xSleep = x_sleep;
    wrapper.xCurrentTime = x_current_time;
    wrapper.xGetLastError = x_last_error;
    wrapper.xCurrentTimeInt64 = x_current_time64;
    if (sqlite3_vfs_register(&wrapper, 1) != SQLITE_OK) {
      throw std::runtime_error("could not register the fault VFS");
    }
    return v;
  }();
  return *instance;
}

void FaultVfs::arm(VfsOp op, std::uint64_t nth, VfsFault fault, bool persistent) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : counts_) c = 0;
  armed_ = true;
  op_ = op;
  nth_ = nth;
  fault_ = fault;
  persistent_ = persistent;
  fired_ = false;
}

void FaultVfs::disarm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
}

bool FaultVfs::fired() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fired_;
}

std::uint64_t FaultVfs::count(VfsOp op) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_[static_cast<int>(op)];
}

void FaultVfs::reset_counts() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : counts_) c = 0;
}

int FaultVfs::fault_for(VfsOp op) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto n = ++counts_[static_cast<int>(op)];
  if (!armed_ || op != op_) return 0;
  if (n == nth_ || (persistent_ && n > nth_)) {
    fired_ = true;
    return error_for(op, fault_);
  }
  return 0;
}

VfsFault FaultVfs::armed_fault() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fault_;
}

void FaultVfs::start_recording(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mutex_);
  recording_ = true;
  prefix_ = prefix;
  records_.clear();
}

std::vector<VfsRecord> FaultVfs::stop_recording() {
  std::lock_guard<std::mutex> lock(mutex_);
  recording_ = false;
  return std::move(records_);
}

std::size_t FaultVfs::recorded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return records_.size();
}

void FaultVfs::record(VfsRecord r) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (recording_) records_.push_back(std::move(r));
}

bool FaultVfs::recording(const std::string& file) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return recording_ && file.compare(0, prefix_.size(), prefix_) == 0;
}

}  // namespace orgkit::test
