#include "controlplane/store/approval_store.h"

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace warden::store {

namespace {

absl::StatusOr<v1::ApprovalRequest> Parse(const std::string& body, const std::string& id) {
  v1::ApprovalRequest r;
  if (!r.ParseFromString(body)) {
    return absl::DataLossError(
        absl::StrCat("approval request ", id, " is unreadable in the store"));
  }
  return r;
}

}  // namespace

absl::Status ApprovalStore::Create(const v1::ApprovalRequest& request) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto find, db_.Prepare("SELECT 1 FROM approval_requests WHERE public_id = ?"));
  find.Bind(1, request.id());
  ASSIGN_OR_RETURN(bool taken, find.Step());
  if (taken) return absl::AlreadyExistsError(absl::StrCat("approval request ", request.id()));
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("INSERT INTO approval_requests (public_id, state, session_id, "
                               "created_at, expires_at, body) VALUES (?, ?, ?, ?, ?, ?)"));
  return stmt.Bind(1, request.id())
      .Bind(2, static_cast<int64_t>(request.state()))
      .Bind(3, request.session_id())
      .Bind(4, request.created_unix())
      .Bind(5, request.expires_unix())
      .BindBlob(6, request.SerializeAsString())
      .Run();
}

absl::Status ApprovalStore::Update(const v1::ApprovalRequest& request) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("UPDATE approval_requests SET state = ?, body = ? "
                                          "WHERE public_id = ?"));
  RETURN_IF_ERROR(stmt.Bind(1, static_cast<int64_t>(request.state()))
                      .BindBlob(2, request.SerializeAsString())
                      .Bind(3, request.id())
                      .Run());
  if (db_.Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("approval request ", request.id(), " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ApprovalRequest> ApprovalStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("SELECT body FROM approval_requests WHERE public_id = ?"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("approval request ", id, " not found (wardenctl approvals list)"));
  }
  return Parse(stmt.Blob(0), id);
}

absl::StatusOr<std::vector<v1::ApprovalRequest>> ApprovalStore::List(
    std::optional<v1::ApprovalState> state, int limit) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare(absl::StrCat("SELECT public_id, body FROM approval_requests ",
                                            state ? "WHERE state = ? " : "",
                                            "ORDER BY created_at DESC, id DESC LIMIT ?")));
  int next = 1;
  if (state) stmt.Bind(next++, static_cast<int64_t>(*state));
  stmt.Bind(next, static_cast<int64_t>(limit));
  std::vector<v1::ApprovalRequest> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(v1::ApprovalRequest r, Parse(stmt.Blob(1), stmt.Text(0)));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace warden::store
