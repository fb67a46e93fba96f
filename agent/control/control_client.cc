#include "agent/control/control_client.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/control/backoff.h"
#include "common/crypto/sealed_box.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/util/files.h"

namespace warden::agent {

namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rejections that a retry cannot fix.
bool IsFatal(const absl::Status& st) {
  return absl::IsUnauthenticated(st) || absl::IsPermissionDenied(st);
}

}  // namespace

ControlClient::ControlClient(ControlClientOptions opts,
                             std::shared_ptr<grpc::ChannelCredentials> creds, PolicyHolder& policy)
    : opts_(std::move(opts)),
      stub_(opts_.gateway, std::move(creds)),
      policy_(policy),
      trust_(opts_.name, opts_.controlplane_key, opts_.identity) {}

ControlClient::~ControlClient() {
  Stop();
  if (thread_.joinable()) thread_.join();
}

void ControlClient::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ControlClient::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  if (active_) active_->TryCancel();
  cv_.notify_all();
}

absl::Status ControlClient::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  return final_status_;
}

void ControlClient::Finish(absl::Status why) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ = true;
  final_status_ = std::move(why);
  cv_.notify_all();
}

void ControlClient::Run() {
  Backoff backoff(std::chrono::milliseconds(200), std::chrono::milliseconds(5000));
  for (;;) {
    auto started = std::chrono::steady_clock::now();
    absl::Status st = RunStream();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    if (IsFatal(st)) {
      spdlog::critical("the control plane refused this agent: {}", st.message());
      Finish(st);
      return;
    }
    // A stream that stayed up for a while was a success: start the backoff afresh.
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(10)) backoff.Reset();
    auto wait = backoff.Next();
    spdlog::warn("control stream to gateway {} ended ({}); reconnecting in {} ms", opts_.gateway,
                 st.message(), wait.count());
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, wait, [&] { return stopping_; })) break;
  }
  Finish(absl::CancelledError("stopped"));
}

std::string ControlClient::OpenMaskingKey(v1::PolicySnapshot& snap) {
  if (snap.sealed_masking_key().empty()) return {};  // an older control plane: redact
  auto key = crypto::OpenSealed(opts_.private_key, snap.sealed_masking_key(),
                                crypto::MaskingKeyAad(opts_.name));
  snap.clear_sealed_masking_key();
  if (!key.ok()) {
    spdlog::error("policy version {}: the masking key does not open ({}); hash rules redact",
                  snap.version(), key.status().message());
    return {};
  }
  return *std::move(key);
}

// Directives as they arrive on the stream, by type. Only a challenge, the signed envelope, the
// gateway's own session openings and its closing note travel unsigned; what must come from the
// control plane is acted on only inside a verified SignedDirective (ApplyTrusted).
absl::Status ControlClient::Dispatch(v1::AgentDirective& d, const v1::AgentMessage& reg,
                                     const Writer& write) {
  using Type = v1::AgentDirective::MsgCase;
  switch (d.msg_case()) {
    case Type::kChallenge: {
      auto answer = trust_.Answer(d.challenge(), reg.register_());
      if (!answer.ok()) return answer.status();
      write(*answer);
      return absl::OkStatus();
    }
    case Type::kSigned: {
      auto inner = trust_.Open(d.signed_());
      if (!inner.ok()) {
        // Not final: the next stream starts afresh, and a forgery on this one ends it.
        spdlog::error("control stream: {}; reconnecting", inner.status().message());
        return absl::DataLossError(inner.status().message());
      }
      last_signed_ = std::chrono::steady_clock::now();
      ApplyTrusted(*inner, write);
      return absl::OkStatus();
    }
    case Type::kOpenSession:
      // The gateway makes these; the credential inside is signed by the control plane and
      // checked when the session opens it.
      if (opts_.on_open_session) {
        opts_.on_open_session(std::move(*d.mutable_open_session()));
      } else {
        spdlog::warn("session {}: no session handler; ignoring", d.open_session().session_id());
      }
      return absl::OkStatus();
    case Type::kClosing:
      return absl::Status(static_cast<absl::StatusCode>(d.closing().code()), d.closing().message());
    case Type::kWelcome:
    case Type::kPolicy:
    case Type::kEndSession:
    case Type::kApproval:
      spdlog::error(
          "control stream: an unsigned directive arrived (a gateway in the middle?); "
          "reconnecting");
      return absl::DataLossError("unsigned directive");
    case Type::kHeartbeat:   // unsigned, it proves nothing: only signed ones keep the stream
    case Type::MSG_NOT_SET:  // a type newer than this agent
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

// What the control plane signed for this stream, by type.
void ControlClient::ApplyTrusted(v1::AgentDirective& d, const Writer& write) {
  using Type = v1::AgentDirective::MsgCase;
  switch (d.msg_case()) {
    case Type::kWelcome: {
      std::vector<std::string> names;
      for (const auto& c : d.welcome().connections()) names.push_back(c.name());
      spdlog::info("registered as agent {} via gateway {}; serving connections: {}", opts_.name,
                   d.welcome().gateway_id(), names.empty() ? "(none)" : absl::StrJoin(names, ", "));
      if (opts_.on_welcome) opts_.on_welcome(d.welcome());
      if (opts_.approvals) {
        // The proof was accepted: approval messages may go out on this stream, signed for it.
        opts_.approvals->Connected([this, write](const v1::ApprovalMessage& m) {
          absl::StatusOr<v1::SignedApprovalMessage> signed_message = trust_.SignApproval(m);
          if (!signed_message.ok()) {
            spdlog::error("approvals: cannot sign a message: {}",
                          signed_message.status().message());
            return false;
          }
          v1::AgentMessage out;
          *out.mutable_approval() = *std::move(signed_message);
          return write(out);
        });
      }
      return;
    }
    case Type::kPolicy: {
      std::string masking_key = OpenMaskingKey(*d.mutable_policy());
      auto snap = std::make_shared<const v1::PolicySnapshot>(std::move(*d.mutable_policy()));
      size_t count = snap->policies_size();
      int64_t in_force = policy_.Install(std::move(snap), std::move(masking_key));
      spdlog::info("applied policy version {} ({} policies)", in_force, count);
      v1::AgentMessage ack;
      ack.mutable_policy_applied()->set_version(in_force);
      write(ack);
      return;
    }
    case Type::kEndSession:
      if (opts_.on_end_session) opts_.on_end_session(d.end_session());
      return;
    case Type::kHeartbeat:  // its signature already counted as the control plane's word
      return;
    case Type::kApproval:
      if (opts_.approvals) opts_.approvals->Deliver(d.approval());
      return;
    case Type::kChallenge:
    case Type::kSigned:
    case Type::kOpenSession:
    case Type::kClosing:
    case Type::MSG_NOT_SET:
      // Never signed by the control plane; nothing to do with one that is.
      spdlog::warn("control stream: a signed directive of an unexpected type; ignored");
      return;
  }
}

void ControlClient::Report(const Writer& write, std::mutex& mu, std::condition_variable& cv,
                           const bool& stop) {
  using Clock = std::chrono::steady_clock;
  auto next_heartbeat = Clock::now() + opts_.heartbeat_interval;
  // The last counters sent on this stream; a new stream (perhaps to a restarted control plane,
  // which keeps them in memory only) starts with nothing sent.
  std::optional<std::string> sent;
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    if (opts_.decisions) {
      v1::AgentMessage m;
      *m.mutable_stats() = opts_.decisions->Snapshot();
      std::string bytes = m.stats().SerializeAsString();
      if (bytes != sent) {
        if (!write(m)) return;
        sent = std::move(bytes);
      }
    }
    auto now = Clock::now();
    if (now >= next_heartbeat) {
      v1::AgentMessage hb;
      hb.mutable_heartbeat()->set_unix_millis(NowMillis());
      if (!write(hb)) return;
      next_heartbeat = now + opts_.heartbeat_interval;
    }
    if (now - last_signed_.load() > kMaxControlSilence) {
      // The control plane signs a heartbeat every few seconds; silence means the stream no longer
      // reaches it (or a gateway withholds what it says): start a new one.
      spdlog::warn("no signed word from the control plane for {} s; reconnecting",
                   std::chrono::duration_cast<std::chrono::seconds>(kMaxControlSilence).count());
      std::lock_guard<std::mutex> active(mu_);
      if (active_) active_->TryCancel();
      return;
    }
    auto wake = std::min(next_heartbeat, now + opts_.stats_interval);
    if (cv.wait_until(lock, wake, [&] { return stop; })) return;
  }
}

absl::Status ControlClient::RunStream() {
  if (!opts_.token_file.empty()) {
    auto token = ReadSecretFile(opts_.token_file);
    if (token.ok() && *token != opts_.token) {
      opts_.token = *std::move(token);
      spdlog::info("agent token file {} changed: using the new token", opts_.token_file);
    }
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata(grpcutil::kAuthorizationKey, "Bearer " + opts_.token);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopped");
    active_ = &ctx;
  }
  auto stub = stub_.Get();
  auto stream = stub->Control(&ctx);
  std::mutex write_mu;  // acks (this thread) and heartbeats (below) share the stream's writer
  auto write = [&](const v1::AgentMessage& m) {
    std::lock_guard<std::mutex> lock(write_mu);
    return stream->Write(m);
  };

  v1::AgentMessage reg;
  reg.mutable_register_()->set_name(opts_.name);
  reg.mutable_register_()->set_version(WARDEN_VERSION);
  reg.mutable_register_()->set_public_key(opts_.public_key);
  reg.mutable_register_()->set_identity_key(trust_.identity_public_key());
  reg.mutable_register_()->set_nonce(trust_.BeginStream());
  last_signed_ = std::chrono::steady_clock::now();
  write(reg);

  // The Challenge (or a Closing) comes first; nothing else is sent before the proof answers
  // it, so that the control plane reads the proof next.
  absl::Status closing;  // why the stream ended early, when it was said or found out
  v1::AgentDirective d;
  bool readable = stream->Read(&d);
  if (readable) closing = Dispatch(d, reg, write);
  if (readable && closing.ok() && !d.has_challenge()) {
    closing = absl::DataLossError("the control stream did not start with a challenge");
  }
  if (!closing.ok()) ctx.TryCancel();

  std::mutex hb_mu;
  std::condition_variable hb_cv;
  bool hb_stop = false;
  std::thread heartbeat([&] { Report(write, hb_mu, hb_cv, hb_stop); });

  while (readable && closing.ok() && stream->Read(&d)) {
    closing = Dispatch(d, reg, write);
    if (!closing.ok()) {
      ctx.TryCancel();
      break;
    }
  }
  // No approval message goes out on this stream any more (the desk's sender writes on it).
  if (opts_.approvals) opts_.approvals->Disconnected();
  {
    std::lock_guard<std::mutex> lock(hb_mu);
    hb_stop = true;
  }
  hb_cv.notify_all();
  heartbeat.join();
  grpc::Status st = stream->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = nullptr;
  }
  if (!closing.ok()) return closing;
  if (st.ok()) return absl::UnavailableError("the gateway closed the stream");
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE) stub_.Reset(stub);
  return grpcutil::FromGrpc(st);
}

}  // namespace warden::agent
