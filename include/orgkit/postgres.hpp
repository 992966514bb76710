// orgkit/postgres.hpp: orgkit's storage on a PostgreSQL server (target orgkit::postgres).
//
// Choose it when several application servers share one orgkit state: SQLite stops at one
// host (WAL needs shared memory), a PostgreSQL database does not. Every server opens the same
// database (and schema) with open_postgres() and hands the store to its own Service; they
// keep the same rules as with SQLite, and transactions on different organizations run in
// parallel (no lock spans organizations or tenants). Built when orgkit is configured with
// ORGKIT_WITH_POSTGRES=ON (Debian: libpqxx-dev); link orgkit::postgres. This header needs no
// PostgreSQL or libpqxx header.
//
// Schema: all tables live in the schema `PostgresOptions::schema` of the database, so one
// database can hold several orgkit stores. open_postgres() creates the schema if needed and
// brings it to postgres_schema_version inside one transaction that holds a transaction-level
// advisory lock on the schema's name, so any number of servers may open (and migrate) at
// the same moment: one migrates, the others wait for it and then find the schema current.
// Email keys are computed by orgkit (trimmed, ASCII lower-cased), never by the database's
// lower(), so both backends match addresses alike. Secrets are stored only as hashes.
//
// Connections: a guarded pool of at most `pool_size` connections, opened lazily. A
// connection that breaks (the server restarted, a network cut) is dropped, and the next use
// opens a fresh one, trying for up to `reconnect_budget_ms`; while the server is unreachable
// operations fail with ErrorCode::unavailable, and a write that failed so has changed nothing
// (each write is one transaction). The first statement of a transaction and the permission
// check's read are retried on a fresh connection when a pooled one turns out to be broken,
// so the first operation after a restart succeeds.
//
// Every wait on the server is bounded by the client's own clock as well: a statement that has
// no answer after statement_timeout_ms plus 2 s (a hung server, whose processes are stopped,
// never fires its own statement_timeout) ends with `unavailable`, and so does a connection
// attempt after 2 s (libpq's connect_timeout, unless the connection string sets one). Such a
// write changed nothing, with one exception: if COMMIT was sent and no answer came (that
// deadline, or the connection broke), the error is `unavailable` with field "commit" and the
// change may or may not have been applied; read it back (a check with
// Consistency::fully_consistent, say, or the record itself) before retrying. A write that
// returned its commit token committed; no other error leaves anything behind.
//
// Transactions (storage.hpp, TRANSACTIONS): begin_read is REPEATABLE READ, READ ONLY: one
// snapshot. begin_write is READ COMMITTED and locks its scope's organization rows at once,
// `SELECT ... FOR NO KEY UPDATE` in id order (so two writers never deadlock over them, and
// foreign key checks of other transactions are not blocked); `WriteScope::wait == false` adds
// NOWAIT, and a lock that is taken is then `unavailable`. Writers that share no organization
// never wait for each other. A deadlock (40P01) or serialization failure (40001) is
// ErrorCode::aborted, which the Service retries whole.
//
// Commit tokens. A transaction that wrote takes, as the last statement before COMMIT, the
// server's current WAL insert position (pg_current_wal_insert_lsn(), as a byte offset) and
// records it in the store's commit log; that number is its token. A transaction that wrote
// nothing returns the greatest token its snapshot sees (for a write transaction: the greatest
// committed when it commits). There is no counter row, so committing takes no lock shared
// by all writers. The guarantees, for every process on the same database:
//   - if A's commit() returned before B's commit() began, and B wrote, then B's token is
//     greater than A's (A's WAL record of its commit lies between the two positions);
//   - a transaction that began after A's commit() returned gets a token >= A's;
//   - the token of a transaction that wrote nothing is exactly that of the newest commit
//     it saw, so a reader without intervening commits reports the same token each time;
//   - two writers that commit at the same moment may read the same position: the second
//     to commit fails with aborted (a unique index on the log) and is retried, so tokens of
//     writers are unique;
//   - tokens are not dense (they are byte offsets) and are only comparable within one
//     server cluster's WAL history (a restored backup or a new cluster starts elsewhere).
// What is not promised: two writers whose commits overlap in time are ordered arbitrarily,
// and a reader may see the one with the greater token without the other.
//
// Checks (orgkit/consistency.hpp). Every write notifies the other processes on the store
// (NOTIFY orgkit_<schema>, with its token and organizations, sent only if it commits), and
// each store that caches checks listens on a connection of its own, registered with a lease
// in the store's `listeners` table. A write's commit() returns only once every other
// listener with a current lease has acknowledged a barrier raised after the commit, or its
// lease has run out (a listener that cannot renew stops trusting its cache before that, by
// its own clock). So, with `cache_checks` (the default):
//   - a plain check (Consistency::minimize_latency) answers from the per-thread cache at
//     hash-table speed and is never stale: it reflects every change whose commit returned
//     before it began, from any application server (C1). While the listening connection is
//     down nothing is cached;
//   - at_least_as_fresh(token) answers from the cache once the notification of that very
//     commit has arrived (PostgreSQL delivers them in commit order, so every earlier one has
//     too), and reads the server otherwise;
//   - fully_consistent reads the server every time.
// The price is on writes, and only while another server listens: one more statement and the
// wait for the others' acknowledgements (a round trip or two); a server that dies without
// closing its store makes writes wait for its lease (about 3 s) until it has run out. Without
// `cache_checks` a store neither listens nor caches (its checks read the server), but its
// writes still notify and wait for the others'.
//
// The permission check's read (Storage::member_access) is one prepared statement on a pooled
// connection, outside any transaction. It allocates what libpqxx and libpq allocate for any
// statement: libpq's result (PGresult), libpqxx's shared handle to it, and libpqxx's
// parameter vectors and the parameters' text; orgkit itself allocates nothing there once the
// output's buffers have grown.
//
// Errors never contain SQL text, the connection string or a password: a failed connection
// says which kind of failure (refused credentials, no such database, server unreachable) and
// nothing the server or libpq printed; server errors are reported by SQLSTATE only.
//
// Example:
//   orgkit::PostgresOptions options;
//   options.connection = "host=/run/postgresql dbname=app user=app";
//   options.schema = "orgkit";
//   auto storage = orgkit::open_postgres(options);
//   if (!storage) { std::cerr << storage.error() << '\n'; return 1; }
//   auto kit = orgkit::Service::create(std::move(*storage));
#pragma once

#include <orgkit/export.hpp>

#include <memory>
#include <string>

#include <orgkit/error.hpp>
#include <orgkit/storage.hpp>

namespace orgkit {

struct PostgresOptions {
  /// A libpq connection string ("host=... dbname=... user=...") or URI ("postgresql://...").
  /// It may carry a password; orgkit never repeats it in an error.
  std::string connection;
  /// The schema that holds this store's tables: [a-z_][a-z0-9_]*, at most 63 characters.
  std::string schema = "orgkit";
  /// Connections at most (1-256), opened when first needed.
  int pool_size = 8;
  /// How long one statement may run, waiting for a lock included, before `unavailable`
  /// (milliseconds, 1-3600000). Also how long a caller waits for a free pooled connection.
  /// The client gives up on a server that does not answer 2 s after this (see above).
  int statement_timeout_ms = 10000;
  /// How long to keep trying to (re)connect before `unavailable` (milliseconds, 0-600000):
  /// covers a server restart. 0: one attempt.
  int reconnect_budget_ms = 2000;
  /// Whether Service::check may answer from its per-thread cache, kept fresh by LISTEN/NOTIFY
  /// with acknowledged invalidation (see "Checks" above): checks at hash-table speed that are
  /// never stale, from any server. Without it every check reads the server (one round trip).
  bool cache_checks = true;
};

/// The schema version this build creates and understands.
inline constexpr int postgres_schema_version = 3;

/// Opens a PostgreSQL store: connects once, creates or migrates the schema. Errors:
/// invalid_argument (field "connection", "schema", "pool_size", "statement_timeout_ms" or
/// "reconnect_budget_ms"), unavailable if the server cannot be reached or refuses the
/// connection within the reconnect budget, storage if the schema holds tables that are not
/// an orgkit store, conflict if a newer orgkit wrote it (version above
/// postgres_schema_version).
[[nodiscard]] ORGKIT_EXPORT Result<std::unique_ptr<Storage>> open_postgres(
    const PostgresOptions& options);

}  // namespace orgkit
