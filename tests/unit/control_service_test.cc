// ControlService through real gRPC over TLS, in process: an agent stream registers its sealing
// key, then Authorize answers for valid, expired, revoked and unknown access tokens.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/crypto/keyring.h"
#include "common/crypto/sealed_box.h"
#include "common/crypto/token.h"
#include "common/grpcutil/grpc_util.h"
#include "controlplane/controlplane_server.h"
#include "warden/v1/control.grpc.pb.h"

namespace fs = std::filesystem;
using namespace warden;

namespace {

constexpr char kGatewaySecret[] = "wdngw_test-secret";

void Write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

struct Harness {
  Harness() {
    char tmpl[] = "/tmp/warden-cs-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::string cmd = absl::StrCat(WARDEN_SOURCE_DIR, "/scripts/dev-certs.sh ", dir.string());
    REQUIRE(std::system(cmd.c_str()) == 0);
    Write(dir / "master.key", crypto::Keyring::GenerateKeyFile("k1"));
    Write(dir / "gateway.secret", kGatewaySecret);
    controlplane::ControlPlaneOptions o;
    o.listen = "127.0.0.1:0";
    o.db_path = dir / "warden.db";
    o.master_key_file = dir / "master.key";
    o.tls_cert = dir / "server.crt";
    o.tls_key = dir / "server.key";
    o.gateway_secret_file = dir / "gateway.secret";
    auto s = controlplane::ControlPlaneServer::Start(o);
    REQUIRE(s.ok());
    server = std::move(*s);
    auto creds = grpcutil::ClientTls(dir / "ca.crt");
    REQUIRE(creds.ok());
    stub = v1::ControlService::NewStub(
        grpcutil::MakeChannel(absl::StrCat("localhost:", server->port()), *creds));
  }
  ~Harness() {
    server->Shutdown();
    fs::remove_all(dir);
  }
  void Gateway(grpc::ClientContext& ctx) {
    ctx.AddMetadata(grpcutil::kAuthorizationKey, absl::StrCat("Bearer ", kGatewaySecret));
    ctx.AddMetadata(grpcutil::kGatewayIdKey, "gw-test");
  }
  // An agent's control stream as the gateway relays it, after its Register.
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::AgentDirective>> OpenAgent(
      grpc::ClientContext& ctx, const std::string& token, const std::string& name,
      const std::string& public_key = "") {
    Gateway(ctx);
    ctx.AddMetadata(grpcutil::kAgentTokenKey, token);
    auto stream = stub->AgentControl(&ctx);
    v1::AgentMessage reg;
    reg.mutable_register_()->set_name(name);
    reg.mutable_register_()->set_public_key(public_key);
    REQUIRE(stream->Write(reg));
    return stream;
  }
  grpc::Status Authorize(const std::string& token, const std::string& conn,
                         v1::AuthorizeResponse* resp) {
    grpc::ClientContext ctx;
    Gateway(ctx);
    v1::AuthorizeRequest req;
    req.set_token(token);
    req.set_connection(conn);
    req.set_client_address("127.0.0.1:5555");
    return stub->Authorize(&ctx, req, resp);
  }
  fs::path dir;
  std::unique_ptr<controlplane::ControlPlaneServer> server;
  std::unique_ptr<v1::ControlService::Stub> stub;
};

}  // namespace

TEST_CASE("Authorize: tokens, grants, agent presence and the sealed credential", "[control]") {
  Harness h;
  auto& st = h.server->stores();
  std::string agent_token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
  REQUIRE(st.agents.Create("edge-1", crypto::HashToken(agent_token)).ok());
  v1::ConnectionInfo c;
  c.set_name("demo");
  c.set_agent("edge-1");
  c.set_protocol("postgres");
  c.set_host("127.0.0.1");
  c.set_port(5432);
  c.set_database("demo");
  c.set_tls_mode("disable");
  REQUIRE(st.connections.Create(c).ok());
  REQUIRE(st.connections.SetCredential("demo", "app", "pa55word").ok());
  auto issued = st.tokens.Create("claude", {"ai-agents"}, 3600);
  REQUIRE(issued.ok());
  v1::AuthorizeResponse resp;

  // No policy grants claude the connection yet, and the agent is offline.
  REQUIRE(h.Authorize(issued->token, "demo", &resp).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  v1::Policy p;
  p.set_name("p");
  p.add_connections("demo");
  p.mutable_subjects()->add_groups("ai-agents");
  REQUIRE(st.policies.Apply(p, "src").ok());
  auto offline = h.Authorize(issued->token, "demo", &resp);
  REQUIRE(offline.error_code() == grpc::StatusCode::UNAVAILABLE);
  REQUIRE(offline.error_message().find("offline") != std::string::npos);

  // The agent connects (as the gateway relays it) with its sealing key.
  crypto::X25519KeyPair key = crypto::X25519KeyPair::Generate();
  grpc::ClientContext actx;
  auto stream = h.OpenAgent(actx, agent_token, "edge-1", key.public_key);
  v1::AgentDirective d;
  REQUIRE(stream->Read(&d));
  REQUIRE(d.welcome().connections(0).name() == "demo");
  REQUIRE(stream->Read(&d));
  REQUIRE(d.policy().version() == 1);
  // The masking key comes sealed to this agent: the gateway relaying it cannot read it.
  auto masking_key = crypto::OpenSealed(key.private_key, d.policy().sealed_masking_key(),
                                        crypto::MaskingKeyAad("edge-1"));
  REQUIRE(masking_key.ok());
  REQUIRE(*masking_key == *st.masking_key.LoadOrCreate());
  REQUIRE_FALSE(crypto::OpenSealed(key.private_key, d.policy().sealed_masking_key(),
                                   crypto::MaskingKeyAad("edge-2"))
                    .ok());

  auto ok = h.Authorize(issued->token, "demo", &resp);
  REQUIRE(ok.ok());
  REQUIRE(resp.identity() == "claude");
  REQUIRE(resp.agent() == "edge-1");
  REQUIRE(resp.sealed_credential().find("pa55word") == std::string::npos);
  auto opened = crypto::OpenSealed(key.private_key, resp.sealed_credential(),
                                   absl::StrCat(resp.session_id(), "\n", "demo"));
  REQUIRE(opened.ok());
  v1::DatabaseCredential cred;
  REQUIRE(cred.ParseFromString(*opened));
  REQUIRE(cred.username() == "app");
  REQUIRE(cred.password() == "pa55word");
  REQUIRE(cred.identity() == "claude");
  REQUIRE(cred.groups(0) == "ai-agents");
  REQUIRE(cred.expires_unix() > std::time(nullptr));
  REQUIRE(cred.expires_unix() <= std::time(nullptr) + 60);

  auto unknown = h.Authorize(issued->token, "nope", &resp);
  REQUIRE(unknown.error_code() == grpc::StatusCode::NOT_FOUND);
  auto bogus = h.Authorize("wdn_bogus", "demo", &resp);
  REQUIRE(bogus.error_code() == grpc::StatusCode::UNAUTHENTICATED);

  auto expiring = st.tokens.Create("claude", {"ai-agents"}, 3600);
  REQUIRE(st.db
              ->Exec(absl::StrCat("UPDATE access_tokens SET expires_at = 1 WHERE public_id = '",
                                  expiring->info.id(), "'"))
              .ok());
  auto expired = h.Authorize(expiring->token, "demo", &resp);
  REQUIRE(expired.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  REQUIRE(expired.error_message().find("expired") != std::string::npos);

  REQUIRE(st.tokens.Revoke(issued->info.id()).ok());
  auto revoked = h.Authorize(issued->token, "demo", &resp);
  REQUIRE(revoked.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  REQUIRE(revoked.error_message().find("revoked") != std::string::npos);

  // Without the gateway's credential, nothing is answered.
  grpc::ClientContext bad;
  bad.AddMetadata(grpcutil::kAuthorizationKey, "Bearer wrong");
  v1::AuthorizeRequest req;
  REQUIRE(h.stub->Authorize(&bad, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);

  actx.TryCancel();
  stream->Finish();
}

TEST_CASE("a second Register on one control stream ends it", "[control]") {
  Harness h;
  std::string agent_token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
  REQUIRE(h.server->stores().agents.Create("edge-1", crypto::HashToken(agent_token)).ok());
  REQUIRE(h.server->stores().agents.Create("edge-2", crypto::HashToken("other")).ok());
  grpc::ClientContext actx;
  auto stream = h.OpenAgent(actx, agent_token, "edge-1");
  v1::AgentDirective d;
  REQUIRE(stream->Read(&d));
  REQUIRE(d.welcome().agent_id() == "edge-1");
  v1::AgentMessage reg;
  reg.mutable_register_()->set_name("edge-2");  // trying to claim another agent's name
  stream->Write(reg);
  while (stream->Read(&d)) {
    REQUIRE_FALSE(d.has_welcome());  // no Welcome for edge-2, ever
  }
  stream->Finish();
}
