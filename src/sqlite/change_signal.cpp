// ShmChangeSignal: see change_signal.hpp.
#include "sqlite/change_signal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include <fmt/format.h>

namespace orgkit::sqlite {
namespace {

constexpr std::uint64_t magic_value = 0x6f72676b69747368ULL;  // "orgkitsh"
constexpr std::uint32_t layout_version = 2;
// Layout 1 is layout 2 without the commit numbers at its end; such a file is grown in place.
constexpr std::uint32_t layout_without_numbers = 1;

}  // namespace

Result<std::unique_ptr<ShmChangeSignal>> ShmChangeSignal::open(const std::string& db_path,
                                                               bool in_memory) {
  if (in_memory) {
    auto* shared = new (std::nothrow) Shared();  // value-initialized: every counter is zero
    if (shared == nullptr) return fail(Error::storage_failure("open database: out of memory"));
    shared->magic = magic_value;
    shared->layout = layout_version;
    shared->slots = slot_count;
    return std::unique_ptr<ShmChangeSignal>(new ShmChangeSignal(shared, 0));
  }
  const std::string path = db_path + "-orgkit-shm";
  auto failure = [&](const char* what, int error) {
    return fail(Error::storage_failure(
        fmt::format("open database: cannot {} the shared file {}: {}", what, path,
                    std::strerror(error))));
  };
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return failure("create", errno);
  struct stat st {};
  const std::size_t size = sizeof(Shared);
  // Every process grows the file to the same size, so a race between two openers is benign;
  // the new bytes read as zero, which is a valid, settled state.
  if (::fstat(fd, &st) != 0 ||
      (static_cast<std::size_t>(st.st_size) < size && ::ftruncate(fd, static_cast<off_t>(size)) != 0)) {
    const int error = errno;
    ::close(fd);
    return failure("size", error);
  }
  // ftruncate makes a sparse file: its pages would be allocated on first touch through the
  // mapping, and on a full disk that touch is SIGBUS, in the middle of a commit. Allocate
  // them now, where a full disk is an error (posix_fallocate returns it, not errno), and
  // every time a process opens the file (for blocks already allocated it is a no-op). On a
  // file system without fallocate, glibc allocates by writing a zero byte to each block
  // that reads as zero, which leaves the counters as they are.
  if (const int error = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); error != 0) {
    ::close(fd);
    return failure("allocate disk space for", error);
  }
  void* mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_error = errno;
  ::close(fd);
  if (mapped == MAP_FAILED) return failure("map", map_error);
  auto* shared = static_cast<Shared*>(mapped);
  if (shared->magic == 0) {  // new: every opener writes the same header
    shared->layout = layout_version;
    shared->slots = slot_count;
    shared->magic = magic_value;
  }
  if (shared->magic == magic_value && shared->layout == layout_without_numbers &&
      shared->slots == slot_count) {
    shared->layout = layout_version;  // the new fields read as zero: not seeded yet
  }
  if (shared->magic != magic_value || shared->layout != layout_version ||
      shared->slots != slot_count) {
    ::munmap(mapped, size);
    // Not ours, or a layout of another orgkit version, whose processes would not see this
    // one's commits: no store at all rather than stale checks elsewhere.
    return fail(Error::storage_failure(fmt::format(
        "open database: the shared file {} is not in this orgkit version's layout; if another "
        "orgkit version has this database open, use one version",
        path)));
  }
  return std::unique_ptr<ShmChangeSignal>(new ShmChangeSignal(shared, size));
}

ShmChangeSignal::~ShmChangeSignal() {
  if (mapped_ != 0) {
    ::munmap(shared_, mapped_);
  } else {
    delete shared_;
  }
}

std::optional<ChangeSignal::Version> ShmChangeSignal::settled(OrgId org) const noexcept {
  return shared_->versions.settled(org);
}

bool ShmChangeSignal::unchanged(OrgId org, const Version& v) const noexcept {
  return shared_->versions.unchanged(org, v);
}

bool ShmChangeSignal::covers(const CommitToken& token) const noexcept {
  return token.sequence() <= shared_->published.load(std::memory_order_acquire);
}

void ShmChangeSignal::begin_commit(const std::vector<OrgId>& orgs, bool exclusive) noexcept {
  shared_->versions.for_each_pair(orgs, [&](detail::VersionPair& p) {
    if (exclusive) {
      // Nobody else can be inside a commit: a gap was left by a writer that died there.
      const auto begun = p.begun.load(std::memory_order_acquire);
      if (p.ended.load(std::memory_order_acquire) != begun) {
        p.ended.store(begun, std::memory_order_release);
      }
    }
    p.begun.fetch_add(1, std::memory_order_seq_cst);
  });
}

void ShmChangeSignal::end_commit(const std::vector<OrgId>& orgs, std::uint64_t sequence) noexcept {
  publish(sequence);
  shared_->versions.for_each_pair(
      orgs, [&](detail::VersionPair& p) { p.ended.fetch_add(1, std::memory_order_seq_cst); });
}

void ShmChangeSignal::publish(std::uint64_t sequence) noexcept {
  auto seen = shared_->published.load(std::memory_order_acquire);
  while (seen < sequence &&
         !shared_->published.compare_exchange_weak(seen, sequence, std::memory_order_acq_rel)) {
  }
}

void ShmChangeSignal::seed(std::uint64_t mark) noexcept {
  // Under the write lock, so no writer is between taking a number and committing it. A file
  // whose reserved mark is below the row's has missed another copy's reservations: it counts
  // from the row again, like a new one. A row below the file's mark is a database restored
  // from an older copy (or a new one under an old file): numbering goes on from the file, so
  // that running readers never see numbers go back, but the file forgets its reservation,
  // so that the next commit reserves again in the row (every committed number stays at most
  // the row's mark, which is what keeps numbers unique once this file is gone).
  if (shared_->seeded.load(std::memory_order_acquire) != 0 && mark <= reserved()) {
    if (mark < reserved()) shared_->reserved.store(mark, std::memory_order_release);
    return;
  }
  if (issued() < mark) shared_->issued.store(mark, std::memory_order_release);
  shared_->reserved.store(mark, std::memory_order_release);
  publish(mark);
  shared_->seeded.store(1, std::memory_order_release);
}

void ShmChangeSignal::reserved_up_to(std::uint64_t mark) noexcept {
  auto seen = reserved();
  while (seen < mark &&
         !shared_->reserved.compare_exchange_weak(seen, mark, std::memory_order_acq_rel)) {
  }
}

}  // namespace orgkit::sqlite
