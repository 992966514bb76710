// A VFS that writes each commit to the WAL file with one system call (issue 9, item 5).
//
// SQLite writes a WAL frame as two pwrite calls (its 24-byte header, then the page), so a
// membership write of four or five pages costs ten. On this kind of machine each call is a
// microsecond or more of kernel time whatever its size: a third of add_member. This VFS is
// SQLite's default VFS with one change to the WAL file: consecutive writes are gathered in a
// buffer and written with one call when the frame that commits the transaction is complete.
//
// Why no reader can see a frame still in the buffer: readers (other connections, other
// processes) use only the frames that the wal-index header names, and SQLite writes that
// header after the commit frame's write has returned, which is when the buffer was written.
// Before any other use of the WAL file (a read, a sync, the size, a truncation, a close) the
// buffer is written first, so the connection itself sees its own frames too, for instance the
// pages a large transaction spilled. A failed write of the buffer is the commit frame's write
// failing: the commit fails, as it would have without this VFS. Only writes that extend a run
// of frames starting with an ordinary frame header are gathered; anything else (the WAL
// header, a frame rewritten in place, a checksum rewrite) is written at once, after the buffer.
//
// The database file and every other file are SQLite's own, untouched: locks, shared memory and
// the file formats are the default VFS's, so other programs and other builds of orgkit share
// the file as before.
#pragma once

#include <cstdint>

namespace orgkit::sqlite {

/// The name under which the VFS is registered (on first call, once per process; thread-safe).
/// Null if it could not be registered: connections then use SQLite's default VFS.
const char* wal_vfs_name() noexcept;

/// What the VFS has gathered in this process, for tests: runs written with one call, and the
/// writes SQLite asked for that those runs held.
struct WalVfsCounts {
  std::uint64_t runs = 0;
  std::uint64_t writes = 0;
};
WalVfsCounts wal_vfs_counts() noexcept;

}  // namespace orgkit::sqlite
