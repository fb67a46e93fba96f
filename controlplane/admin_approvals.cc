// AdminService's approval queue: list, show, decide, and watch it change. The queue and its
// rules are approval_queue.h's and approval_rules.h's; here only the calls and their access.
#include <condition_variable>
#include <deque>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/util/status_macros.h"
#include "controlplane/admin_call.h"
#include "controlplane/admin_service.h"
#include "controlplane/approval_rules.h"

namespace warden::controlplane {

namespace {

constexpr uint32_t kDefaultListLimit = 100;
constexpr uint32_t kMaxListLimit = 10000;
// How often a watch looks whether its caller is still there when nothing changes.
constexpr std::chrono::milliseconds kWatchPoll{500};

int Limit(const v1::ListApprovalsRequest& req) {
  return static_cast<int>(req.limit() == 0 ? kDefaultListLimit
                                           : std::min(req.limit(), kMaxListLimit));
}

std::optional<v1::ApprovalState> StateFilter(const v1::ListApprovalsRequest& req) {
  if (req.state() == v1::APPROVAL_STATE_UNSPECIFIED) return std::nullopt;
  return req.state();
}

}  // namespace

grpc::Status AdminServiceImpl::ListApprovals(grpc::ServerContext* ctx,
                                             const v1::ListApprovalsRequest* req,
                                             v1::ListApprovalsResponse* resp) {
  ADMIN_CALL_WITH(ctx, AdminAccess::kQueue, {
    ASSIGN_OR_RETURN(auto list, approvals_.List(StateFilter(*req), Limit(*req)));
    for (auto& r : list) *resp->add_requests() = std::move(r);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::GetApproval(grpc::ServerContext* ctx,
                                           const v1::GetApprovalRequest* req,
                                           v1::GetApprovalResponse* resp) {
  ADMIN_CALL_WITH(ctx, AdminAccess::kQueue, {
    ASSIGN_OR_RETURN(*resp->mutable_request(), approvals_.Get(req->id()));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::DecideApproval(grpc::ServerContext* ctx,
                                              const v1::DecideApprovalRequest* req,
                                              v1::DecideApprovalResponse* resp) {
  ADMIN_CALL_WITH(ctx, AdminAccess::kApprove, {
    if (!req->approve() && req->reason().empty()) {
      return absl::InvalidArgumentError(
          "a denial needs --reason: the client reads it in its error");
    }
    ASSIGN_OR_RETURN(
        *resp->mutable_request(),
        approvals_.Decide(req->id(), caller, req->approve(), req->reason(), req->window_seconds()));
    const v1::ApprovalRequest& r = resp->request();
    spdlog::info("approval request {} {} by {} ({}): now {}", r.id(),
                 req->approve() ? "approved" : "denied", caller.identity(), caller.id(),
                 StateName(r.state()));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::WatchApprovals(grpc::ServerContext* ctx,
                                              const v1::ListApprovalsRequest* req,
                                              grpc::ServerWriter<v1::ApprovalRequest>* writer) {
  ADMIN_CALL_WITH(ctx, AdminAccess::kQueue, {
    // Changes are collected from the moment before the listing, so none falls between the two
    // (one may come twice: a watcher shows the latest state of each request anyway).
    std::mutex mu;
    std::condition_variable cv;
    std::deque<v1::ApprovalRequest> changed;
    // Every change, also of a request leaving the state listed: a watcher sees it go.
    const int watch = approvals_.Watch([&](const v1::ApprovalRequest& r) {
      std::lock_guard<std::mutex> lock(mu);
      changed.push_back(r);
      cv.notify_one();
    });
    absl::Status st = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(auto now, approvals_.List(StateFilter(*req), Limit(*req)));
      for (auto it = now.rbegin(); it != now.rend(); ++it) {
        if (!writer->Write(*it)) return absl::OkStatus();  // the caller left
      }
      while (!ctx->IsCancelled()) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, kWatchPoll, [&] { return !changed.empty(); });
        while (!changed.empty()) {
          v1::ApprovalRequest r = std::move(changed.front());
          changed.pop_front();
          lock.unlock();
          if (!writer->Write(r)) return absl::OkStatus();
          lock.lock();
        }
      }
      return absl::OkStatus();
    }();
    approvals_.Unwatch(watch);
    return st;
  });
}

}  // namespace warden::controlplane
