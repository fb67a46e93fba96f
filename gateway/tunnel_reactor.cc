#include "gateway/tunnel_reactor.h"

#include "common/log/log.h"
#include "gateway/client_session.h"

namespace warden::gateway {

void TunnelHandle::SendData(std::string bytes, std::function<void()> on_sent) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!reactor_) return;
  v1::TunnelFrame f;
  *f.mutable_data() = std::move(bytes);
  reactor_->Enqueue(std::move(f), std::move(on_sent));
}

void TunnelHandle::SendCancel() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!reactor_) return;
  v1::TunnelFrame f;
  f.mutable_cancel();
  reactor_->Enqueue(std::move(f), nullptr);
}

void TunnelHandle::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reactor_) reactor_->FinishOnce(grpc::Status::OK);
}

void TunnelHandle::ContinueReading() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reactor_) reactor_->ReadNext();
}

void TunnelHandle::ExpireIfUnopened() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reactor_ && !reactor_->opened_) {
    reactor_->FinishOnce(
        grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "TunnelOpen did not arrive in time"));
  }
}

TunnelReactor::TunnelReactor(SessionRegistry& registry)
    : registry_(registry), handle_(std::make_shared<TunnelHandle>()) {
  handle_->reactor_ = this;
  // A weak reference: a pending alarm must not keep the handle (which owns it) alive.
  handle_->open_deadline_.Set(std::chrono::system_clock::now() + std::chrono::seconds(10),
                              [h = std::weak_ptr<TunnelHandle>(handle_)](bool fired) {
                                if (auto handle = h.lock(); handle && fired) {
                                  handle->ExpireIfUnopened();
                                }
                              });
  StartRead(&in_);
}

void TunnelReactor::ReadNext() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!finished_) StartRead(&in_);
}

void TunnelReactor::HandleOpen() {
  if (session_) {
    FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "tunnel opened twice"));
    return;
  }
  session_ = registry_.ClaimTunnel(in_.open().session_id(), in_.open().tunnel_secret());
  if (!session_) {
    spdlog::warn("tunnel for unknown session {} (or wrong secret) refused",
                 in_.open().session_id());
    FinishOnce(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            "no client session is waiting for this tunnel"));
    return;
  }
  opened_ = true;
  session_->OnTunnelAttached(handle_);
  ReadNext();
}

void TunnelReactor::OnReadDone(bool ok) {
  if (!ok) {
    if (session_) session_->OnTunnelClose("08006", "the agent ended the session");
    FinishOnce(grpc::Status::OK);
    return;
  }
  if (in_.has_open()) return HandleOpen();
  if (!session_) {
    FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "TunnelOpen must come first"));
    return;
  }
  switch (in_.frame_case()) {
    case v1::TunnelFrame::kReady:
      session_->OnTunnelReady(std::move(*in_.mutable_ready()->mutable_startup_messages()));
      ReadNext();
      break;
    case v1::TunnelFrame::kData: {
      // The next frame is read only when this one reached the client (back-pressure).
      std::weak_ptr<TunnelHandle> h = handle_;
      session_->WriteToClient(std::move(*in_.mutable_data()), [h] {
        if (auto handle = h.lock()) handle->ContinueReading();
      });
      break;
    }
    case v1::TunnelFrame::kClose:
      session_->OnTunnelClose(in_.close().sqlstate(), in_.close().message());
      FinishOnce(grpc::Status::OK);
      break;
    default:
      FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unexpected tunnel frame"));
  }
}

void TunnelReactor::Enqueue(v1::TunnelFrame frame, std::function<void()> on_sent) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  out_.push_back(Outgoing{std::move(frame), std::move(on_sent)});
  if (!writing_) {
    writing_ = true;
    StartWrite(&out_.front().frame);
  }
}

void TunnelReactor::OnWriteDone(bool ok) {
  std::function<void()> sent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sent = std::move(out_.front().on_sent);
    out_.pop_front();
    if (ok && !finished_ && !out_.empty()) {
      StartWrite(&out_.front().frame);
    } else {
      writing_ = false;
    }
  }
  if (!ok) {
    if (session_) session_->OnTunnelClose("08006", "the tunnel to the agent broke");
    FinishOnce(grpc::Status::OK);
    return;
  }
  if (sent) sent();
}

void TunnelReactor::FinishOnce(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  Finish(status);
}

void TunnelReactor::OnCancel() { FinishOnce(grpc::Status::CANCELLED); }

void TunnelReactor::OnDone() {
  {
    std::lock_guard<std::mutex> lock(handle_->mu_);
    handle_->reactor_ = nullptr;
  }
  if (session_) session_->OnTunnelDone();
  delete this;
}

}  // namespace warden::gateway
