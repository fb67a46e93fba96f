// A thin RAII layer over one SQLite connection: prepared statements with typed binds and
// absl::Status errors. The connection is shared by every RPC thread; callers hold mu() for the
// duration of a statement sequence that must be atomic (see Database::Tx).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warden::store {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  // Parameters are 1-based, as in SQLite.
  Statement& Bind(int idx, int64_t v);
  Statement& Bind(int idx, absl::string_view text);
  Statement& BindBlob(int idx, absl::string_view bytes);

  // true when a row is available, false when done.
  [[nodiscard]] absl::StatusOr<bool> Step();
  // Runs to completion, for statements that return no rows.
  [[nodiscard]] absl::Status Run();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const;
  std::string Blob(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating if needed) with WAL, foreign keys and a busy timeout, then applies
  // migrations. Refuses a file written by a newer Warden.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();

  [[nodiscard]] absl::Status Exec(absl::string_view sql);
  [[nodiscard]] absl::StatusOr<Statement> Prepare(absl::string_view sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int SchemaVersion() const;

  // Serialises use of the connection. Every store method locks it.
  std::mutex& mu() { return mu_; }

  // An IMMEDIATE transaction, rolled back unless Commit() succeeds. Caller holds mu().
  class Tx {
   public:
    explicit Tx(Database& db);
    ~Tx();
    [[nodiscard]] absl::Status Commit();
    [[nodiscard]] const absl::Status& begin_status() const { return begin_; }

   private:
    Database& db_;
    absl::Status begin_;
    bool done_ = false;
  };

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::mutex mu_;
};

// Maps a SQLite result code to a status; constraint violations become AlreadyExists or
// FailedPrecondition so that callers can give a precise message.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

int64_t NowUnix();

}  // namespace warden::store
