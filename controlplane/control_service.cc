#include "controlplane/control_service.h"

#include <openssl/crypto.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sealed_box.h"
#include "common/crypto/signing_inputs.h"
#include "common/crypto/token.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/log/rate_limit.h"
#include "common/policy/evaluator.h"
#include "common/util/status_macros.h"
#include "controlplane/agent_approvals.h"
#include "warden/v1/agent.pb.h"

namespace warden::controlplane {

using grpcutil::ToGrpc;

namespace {
constexpr int64_t kSealedCredentialTtlSeconds = 60;
// ConnectionInfo.max_sessions_per_identity when it is 0.
constexpr int kDefaultMaxSessionsPerIdentity = 64;
}  // namespace

ControlServiceImpl::ControlServiceImpl(Stores& stores, PolicyNotifier& notifier,
                                       LiveSessions& sessions, DecisionStats& decisions,
                                       AgentRegistry& registry, ApprovalQueue& approvals,
                                       std::string signing_key, std::string masking_key)
    : stores_(stores),
      notifier_(notifier),
      sessions_(sessions),
      approvals_(approvals),
      decisions_(decisions),
      registry_(registry),
      signing_key_(std::move(signing_key)),
      masking_key_(std::move(masking_key)) {
  // ServerKeyStore checked the key's length; a key that is not one leaves agents unable to
  // verify anything, which fails closed.
  if (auto pair = crypto::Ed25519KeyPair::FromPrivate(signing_key_); pair.ok()) {
    controlplane_key_ = pair->public_key;
    OPENSSL_cleanse(pair->private_key.data(), pair->private_key.size());
  }
}

ControlServiceImpl::~ControlServiceImpl() {
  OPENSSL_cleanse(masking_key_.data(), masking_key_.size());
  OPENSSL_cleanse(signing_key_.data(), signing_key_.size());
}

absl::StatusOr<std::string> ControlServiceImpl::AuthenticateGateway(
    const grpc::ServerContext& ctx) {
  auto token = grpcutil::BearerToken(ctx);
  auto name = token ? stores_.gateways.Authenticate(*token)
                    : absl::UnauthenticatedError("gateway credential rejected: none was sent");
  static log::RateLimit limit;  // whoever reaches the port can cause these
  if (!name.ok()) {
    if (auto left_out = limit.Admit()) {
      spdlog::warn("ControlService call from {} refused: {}{}", ctx.peer(), name.status().message(),
                   log::LeftOut(*left_out));
    }
  }
  return name;
}

absl::StatusOr<store::AgentIdentity> ControlServiceImpl::AuthenticateAgent(
    const grpc::ServerContext& ctx) {
  auto token = grpcutil::Metadata(ctx, grpcutil::kAgentTokenKey);
  if (!token || token->empty()) {
    return absl::UnauthenticatedError("agent token missing: start the agent with --token-file");
  }
  auto agent = stores_.agents.FindByTokenHash(crypto::HashToken(*token));
  if (!agent.ok() && absl::IsUnauthenticated(agent.status())) {
    return absl::UnauthenticatedError(
        "agent token rejected: it does not belong to any agent (was the agent deleted? create "
        "one with: wardenctl agents create NAME)");
  }
  return agent;
}

grpc::Status ControlServiceImpl::AgentControl(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream) {
  auto gateway = AuthenticateGateway(*ctx);
  if (!gateway.ok()) return ToGrpc(gateway.status());
  auto agent = AuthenticateAgent(*ctx);
  std::string peer = grpcutil::Metadata(*ctx, grpcutil::kAgentPeerKey).value_or("?");
  // Anyone who reaches a gateway's agent port can cause the refusals below.
  static log::RateLimit refusals;
  if (!agent.ok()) {
    if (auto left_out = refusals.Admit()) {
      spdlog::warn("agent control stream from {} via gateway {} refused: {}{}", peer, *gateway,
                   agent.status().message(), log::LeftOut(*left_out));
    }
    return ToGrpc(agent.status());
  }
  // Only a proven agent replaces the agent's current stream: a relayed token alone must not
  // knock the real agent off. Failed proofs have their own log budget, so a flood of bad tokens
  // cannot hide an impersonation attempt.
  static log::RateLimit failed_proofs;
  auto proven = AdmitAgent(ctx, stream, *agent, *gateway);
  if (!proven.ok()) {
    if (auto left_out = failed_proofs.Admit()) {
      spdlog::warn("agent {} via gateway {} refused: {}{}", agent->name, *gateway,
                   proven.status().message(), log::LeftOut(*left_out));
    }
    return ToGrpc(proven.status());
  }
  uint64_t generation = registry_.Attach(agent->id, agent->name, ctx, *gateway);
  absl::Status st = ServeAgent(ctx, *agent, *gateway, *proven, generation, stream);
  if (registry_.Detach(agent->id, generation)) {
    if (auto d = stores_.agents.MarkDisconnected(agent->id); !d.ok()) {
      spdlog::error("agent {}: recording disconnect failed: {}", agent->name, d.message());
    }
    spdlog::info("agent {} disconnected ({})", agent->name,
                 st.ok() ? "stream closed" : st.message());
  }
  return ToGrpc(st);
}

absl::StatusOr<ProvenAgent> ControlServiceImpl::AdmitAgent(grpc::ServerContext* ctx,
                                                           AgentStream* stream,
                                                           const store::AgentIdentity& agent,
                                                           const std::string& gateway) {
  // A peer that never answers the challenge must not hold this thread: the stream is cancelled
  // at the deadline, which ends the read ProveAgent waits in.
  std::mutex mu;
  std::condition_variable cv;
  bool proving = true;
  std::thread deadline([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, kProofDeadline, [&] { return !proving; })) ctx->TryCancel();
  });
  auto proven = ProveAgent(*stream, agent, stores_.agents, controlplane_key_);
  {
    std::lock_guard<std::mutex> lock(mu);
    proving = false;
  }
  cv.notify_all();
  deadline.join();
  if (!proven.ok()) return proven.status();
  if (ctx->IsCancelled()) return absl::DeadlineExceededError("no proof within the deadline");
  // What vouched for the stream may have gone while it proved itself: the gateway revoked, the
  // agent's key reset, its token rotated away, the agent deleted and created again.
  RETURN_IF_ERROR(AuthenticateGateway(*ctx).status());
  const v1::Register& reg = proven->reg;
  RETURN_IF_ERROR(stores_.agents.MarkConnected(agent, reg.version(), gateway, reg.public_key(),
                                               reg.identity_key()));
  return proven;
}

absl::StatusOr<v1::AgentDirective> ControlServiceImpl::WelcomeFor(const store::AgentIdentity& agent,
                                                                  const std::string& gateway) {
  v1::AgentDirective d;
  d.mutable_welcome()->set_agent_id(agent.name);
  d.mutable_welcome()->set_gateway_id(gateway);
  ASSIGN_OR_RETURN(auto served, stores_.connections.ServedBy(agent.id));
  for (auto& c : served) *d.mutable_welcome()->add_connections() = std::move(c);
  return d;
}

absl::Status ControlServiceImpl::ServeAgent(grpc::ServerContext* ctx,
                                            const store::AgentIdentity& agent,
                                            const std::string& gateway, const ProvenAgent& proven,
                                            uint64_t generation, AgentStream* stream) {
  const v1::Register& reg = proven.reg;
  spdlog::info("agent {} connected (version {}, identity key {}, via gateway {})", agent.name,
               reg.version(), crypto::KeyFingerprint(reg.identity_key()), gateway);
  DirectiveSigner signer(signing_key_, proven);
  // Welcome, policy and session ends reach the agent only signed for this stream.
  auto write_signed = [&](const v1::AgentDirective& d) -> absl::Status {
    ASSIGN_OR_RETURN(v1::AgentDirective signed_directive, signer.Sign(d));
    if (!stream->Write(signed_directive)) return absl::CancelledError("stream closed");
    return absl::OkStatus();
  };

  // The agent's approval messages and what it is owed back (agent_approvals.h).
  AgentApprovalChannel approvals(approvals_, sessions_, stores_.policies, notifier_, agent.name,
                                 proven);
  // The reader records acknowledgements; this thread pushes snapshots. Only this thread
  // writes, as the sync API allows one reader and one writer at a time.
  std::atomic<bool> closed{false};
  std::thread reader([&] {
    v1::AgentMessage msg;
    while (stream->Read(&msg)) {
      absl::Status s;
      if (msg.has_register_() || msg.has_proof()) {
        spdlog::warn("agent {}: second Register on one stream; closing it", agent.name);
        break;
      }
      if (msg.has_policy_applied()) {
        s = stores_.agents.RecordApplied(agent.id, msg.policy_applied().version());
        spdlog::info("agent {} applied policy version {}", agent.name,
                     msg.policy_applied().version());
      } else if (msg.has_heartbeat()) {
        s = stores_.agents.Touch(agent.id);
      } else if (msg.has_stats()) {
        s = decisions_.Report(agent.name, std::move(*msg.mutable_stats()));
      } else if (msg.has_approval()) {
        // A forged or replayed approval message ends the stream: someone speaks for the agent.
        if (s = approvals.OnMessage(msg.approval()); !s.ok()) {
          spdlog::warn("agent {}: {}; closing the stream", agent.name, s.message());
          break;
        }
      }
      if (!s.ok()) spdlog::error("agent {}: {}", agent.name, s.message());
    }
    closed = true;
    notifier_.Poke();
  });

  // The first pass sends Welcome and the snapshot; later passes send whichever changed.
  absl::Status result;
  PolicyNotifier::State sent;
  uint64_t ends_seen = 0;  // every end still kept goes to a new stream: ending is idempotent
  auto last_signed = std::chrono::steady_clock::now();
  while (!closed && !ctx->IsCancelled() && result.ok()) {
    PolicyNotifier::State now = notifier_.WaitChanged(sent, std::chrono::milliseconds(500));
    // A revoked gateway's streams end, but first carry the session ends recorded before the
    // revocation: nothing else reaches the agents behind it.
    const bool revoked = registry_.GatewayRevoked(agent.id, generation);
    // A signed heartbeat when nothing else was signed for a while: the agent drops a stream
    // whose control plane falls silent (a gateway withholding what it says).
    if (now == sent && !revoked) {
      if (std::chrono::steady_clock::now() - last_signed < kSignedHeartbeat) continue;
      v1::AgentDirective hb;
      hb.mutable_heartbeat()->set_unix_millis(store::NowUnix() * 1000);
      result = write_signed(hb);
      last_signed = std::chrono::steady_clock::now();
      continue;
    }
    last_signed = std::chrono::steady_clock::now();
    result = [&]() -> absl::Status {
      if (now.connections_epoch != sent.connections_epoch) {
        ASSIGN_OR_RETURN(v1::AgentDirective welcome, WelcomeFor(agent, gateway));
        RETURN_IF_ERROR(write_signed(welcome));
      }
      if (now.policy_version != sent.policy_version) {
        v1::AgentDirective d;
        ASSIGN_OR_RETURN(*d.mutable_policy(), stores_.policies.Snapshot());
        SealMaskingKey(agent, reg.public_key(), d.mutable_policy());
        RETURN_IF_ERROR(write_signed(d));
      }
      if (now.approvals_epoch != sent.approvals_epoch) {
        for (v1::ApprovalUpdate& u : approvals.Take()) {
          v1::AgentDirective d;
          *d.mutable_approval() = std::move(u);
          RETURN_IF_ERROR(write_signed(d));
        }
      }
      if (now.ends_epoch != sent.ends_epoch || revoked) {
        for (v1::EndSession& end : sessions_.EndsSince(&ends_seen)) {
          v1::AgentDirective d;
          *d.mutable_end_session() = std::move(end);
          RETURN_IF_ERROR(write_signed(d));
        }
      }
      return absl::OkStatus();
    }();
    sent = now;
    if (revoked && result.ok()) {
      result = absl::UnavailableError(
          absl::StrCat("gateway ", gateway, " was revoked: connect through another gateway"));
    }
  }
  if (absl::IsCancelled(result)) result = absl::OkStatus();  // the stream went; nothing to say
  ctx->TryCancel();  // unblocks the reader if the loop ended first
  reader.join();
  return result;
}

void ControlServiceImpl::SealMaskingKey(const store::AgentIdentity& agent,
                                        const std::string& agent_key, v1::PolicySnapshot* snap) {
  if (masking_key_.empty() || agent_key.empty()) return;
  auto sealed = crypto::SealTo(agent_key, masking_key_, crypto::MaskingKeyAad(agent.name));
  if (!sealed.ok()) {
    spdlog::warn("agent {}: cannot seal the masking key to its key ({}); its hash rules redact",
                 agent.name, sealed.status().message());
    return;
  }
  snap->set_sealed_masking_key(std::move(*sealed));
}

absl::Status ControlServiceImpl::SealCredentialForAgent(const v1::ConnectionInfo& conn,
                                                        const store::Principal& who,
                                                        const std::string& agent_key,
                                                        v1::AuthorizeResponse* resp) {
  const std::string& session_id = resp->session_id();
  ASSIGN_OR_RETURN(store::Credential cred, stores_.connections.OpenCredential(conn.name()));
  v1::DatabaseCredential payload;
  payload.set_username(std::move(cred.username));
  payload.set_password(std::move(cred.secret));
  payload.set_identity(who.identity);
  for (const auto& g : who.groups) payload.add_groups(g);
  // Long enough for the agent to receive OpenSession and open the tunnel, no longer.
  payload.set_expires_unix(store::NowUnix() + kSealedCredentialTtlSeconds);
  payload.set_token_expires_unix(who.expires_unix);
  std::string plain = payload.SerializeAsString();
  auto sealed = crypto::SealTo(agent_key, plain, absl::StrCat(session_id, "\n", conn.name()));
  OPENSSL_cleanse(plain.data(), plain.size());
  OPENSSL_cleanse(payload.mutable_password()->data(), payload.password().size());
  RETURN_IF_ERROR(sealed.status());
  ASSIGN_OR_RETURN(
      *resp->mutable_credential_signature(),
      crypto::Ed25519Sign(signing_key_, crypto::CredentialSigningInput(conn.agent(), session_id,
                                                                       conn.name(), *sealed)));
  resp->set_sealed_credential(*std::move(sealed));
  return absl::OkStatus();
}

grpc::Status ControlServiceImpl::Authorize(grpc::ServerContext* ctx,
                                           const v1::AuthorizeRequest* req,
                                           v1::AuthorizeResponse* resp) {
  auto gateway = AuthenticateGateway(*ctx);
  if (!gateway.ok()) return ToGrpc(gateway.status());
  return ToGrpc([&]() -> absl::Status {
    ASSIGN_OR_RETURN(store::Principal who, stores_.tokens.Authenticate(req->token()));
    ASSIGN_OR_RETURN(v1::ConnectionInfo conn, stores_.connections.Get(req->connection()));
    // The same applicability the agent enforces with (common/policy/evaluator.h).
    ASSIGN_OR_RETURN(v1::PolicySnapshot snapshot, stores_.policies.Snapshot());
    if (policy::ApplicablePolicies(snapshot, {who.identity, who.groups, conn.name()}).empty()) {
      return absl::PermissionDeniedError(absl::StrCat("no policy grants identity \"", who.identity,
                                                      "\" access to connection \"", conn.name(),
                                                      "\""));
    }
    auto agent = stores_.agents.FindPresence(conn.agent());
    if (!agent.ok() || !agent->connected) {
      return absl::UnavailableError(absl::StrCat(
          "agent \"", conn.agent(), "\" serving connection \"", conn.name(), "\" is offline"));
    }
    resp->set_session_id(crypto::GeneratePublicId("ses_"));
    RETURN_IF_ERROR(SealCredentialForAgent(conn, who, agent->public_key, resp));
    resp->set_identity(who.identity);
    for (auto& g : who.groups) resp->add_groups(g);
    resp->set_agent(conn.agent());
    resp->set_token_id(who.token_id);
    resp->set_token_expires_unix(who.expires_unix);
    v1::LiveSession granted;
    granted.set_session_id(resp->session_id());
    granted.set_identity(who.identity);
    for (auto& g : who.groups) granted.add_groups(g);
    granted.set_connection(conn.name());
    granted.set_client_address(req->client_address());
    granted.set_agent(conn.agent());
    granted.set_started_unix(store::NowUnix());
    granted.set_token_id(who.token_id);
    granted.set_token_expires_unix(who.expires_unix);
    granted.set_gateway(*gateway);
    // 0: the default; negative: no limit (ConnectionInfo.max_sessions_per_identity).
    const int limit = conn.max_sessions_per_identity() == 0 ? kDefaultMaxSessionsPerIdentity
                                                            : conn.max_sessions_per_identity();
    RETURN_IF_ERROR(sessions_.Authorized(std::move(granted), limit));
    spdlog::info("session {}: identity {} authorized for connection {} from {} (token {})",
                 resp->session_id(), who.identity, conn.name(), req->client_address(),
                 who.token_id);
    return absl::OkStatus();
  }());
}

}  // namespace warden::controlplane

namespace warden::controlplane {

grpc::Status ControlServiceImpl::ReportSessions(grpc::ServerContext* ctx,
                                                const v1::ReportSessionsRequest* req,
                                                v1::ReportSessionsResponse*) {
  auto gateway = AuthenticateGateway(*ctx);
  if (!gateway.ok()) return ToGrpc(gateway.status());
  sessions_.Report(*gateway, {req->sessions().begin(), req->sessions().end()});
  return grpc::Status::OK;
}

}  // namespace warden::controlplane
