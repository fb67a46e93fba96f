// A control plane in process, served over real gRPC and TLS, and the calls a gateway and a real
// agent make to it: for tests of ControlService and of what a gateway cannot do through it.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/keyring.h"
#include "common/crypto/random.h"
#include "common/crypto/sealed_box.h"
#include "common/crypto/signing_inputs.h"
#include "common/crypto/token.h"
#include "common/grpcutil/grpc_util.h"
#include "controlplane/controlplane_server.h"
#include "warden/v1/control.grpc.pb.h"

namespace warden::testing {

namespace fs = std::filesystem;

// Key files are written 0600, as Warden's own.
inline void Write(const fs::path& p, const std::string& s) {
  std::ofstream(p) << s;
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
}

// What a real agent holds: its identity key and a sealing key for this process.
struct AgentKeys {
  crypto::Ed25519KeyPair identity = crypto::Ed25519KeyPair::Generate();
  crypto::X25519KeyPair sealing = crypto::X25519KeyPair::Generate();
  std::string nonce = crypto::RandomBytes(32);  // the agent's, for its Register
};

using AgentStreamPtr =
    std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::AgentDirective>>;

struct Harness {
  Harness() {
    char tmpl[] = "/tmp/warden-cs-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::string cmd = absl::StrCat(WARDEN_SOURCE_DIR, "/scripts/dev-certs.sh ", dir.string());
    REQUIRE(std::system(cmd.c_str()) == 0);
    Write(dir / "master.key", crypto::Keyring::GenerateKeyFile("k1"));
    controlplane::ControlPlaneOptions o;
    o.listen = "127.0.0.1:0";
    o.db_path = dir / "warden.db";
    o.master_key_file = dir / "master.key";
    o.tls_cert = dir / "server.crt";
    o.tls_key = dir / "server.key";
    auto s = controlplane::ControlPlaneServer::Start(o);
    REQUIRE(s.ok());
    server = std::move(*s);
    auto created = server->stores().gateways.Create("gw-test");
    REQUIRE(created.ok());
    gateway_token = created->second;
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
    ctx.AddMetadata(grpcutil::kAuthorizationKey, absl::StrCat("Bearer ", gateway_token));
  }
  // An agent's control stream as the gateway relays it, after its Register.
  AgentStreamPtr Relay(grpc::ClientContext& ctx, const std::string& token,
                       const v1::AgentMessage& reg) {
    Gateway(ctx);
    ctx.AddMetadata(grpcutil::kAgentTokenKey, token);
    auto stream = stub->AgentControl(&ctx);
    REQUIRE(stream->Write(reg));
    return stream;
  }
  static v1::AgentMessage Register(const std::string& name, const AgentKeys& keys) {
    v1::AgentMessage reg;
    reg.mutable_register_()->set_name(name);
    reg.mutable_register_()->set_public_key(keys.sealing.public_key);
    reg.mutable_register_()->set_identity_key(keys.identity.public_key);
    reg.mutable_register_()->set_nonce(keys.nonce);
    return reg;
  }
  static v1::AgentMessage Proof(const v1::Register& reg, const std::string& nonce,
                                const std::string& identity_private_key) {
    v1::AgentMessage m;
    auto sig = crypto::Ed25519Sign(
        identity_private_key, crypto::RegisterProofInput({nonce, reg.nonce()}, reg.name(),
                                                         reg.public_key(), reg.identity_key()));
    REQUIRE(sig.ok());
    m.mutable_proof()->set_signature(*sig);
    return m;
  }
  // A real agent: Register, the Challenge, the proof. *nonce receives the stream's nonce.
  AgentStreamPtr OpenAgent(grpc::ClientContext& ctx, const std::string& token,
                           const std::string& name, const AgentKeys& keys,
                           std::string* nonce = nullptr) {
    v1::AgentMessage reg = Register(name, keys);
    auto stream = Relay(ctx, token, reg);
    v1::AgentDirective d;
    REQUIRE(stream->Read(&d));
    REQUIRE(d.has_challenge());
    REQUIRE(d.challenge().controlplane_key() == controlplane_key());
    REQUIRE(
        stream->Write(Proof(reg.register_(), d.challenge().nonce(), keys.identity.private_key)));
    if (nonce) *nonce = d.challenge().nonce();
    return stream;
  }
  std::string controlplane_key() {
    auto seed = server->stores().server_keys.SigningKey();
    REQUIRE(seed.ok());
    auto pair = crypto::Ed25519KeyPair::FromPrivate(*seed);
    REQUIRE(pair.ok());
    return pair->public_key;
  }
  // The next directive, which must be signed by the control plane for `agent` with `keys` on this
  // stream.
  v1::AgentDirective ReadSigned(AgentStreamPtr& stream, const std::string& agent,
                                const AgentKeys& keys, const std::string& nonce,
                                uint64_t sequence) {
    v1::AgentDirective d;
    REQUIRE(stream->Read(&d));
    REQUIRE(d.has_signed_());
    REQUIRE(d.signed_().sequence() == sequence);
    REQUIRE(crypto::Ed25519Verify(
        controlplane_key(),
        crypto::DirectiveSigningInput(agent, {nonce, keys.nonce}, keys.identity.public_key,
                                      keys.sealing.public_key, sequence, d.signed_().directive()),
        d.signed_().signature()));
    v1::AgentDirective inner;
    REQUIRE(inner.ParseFromString(d.signed_().directive()));
    return inner;
  }
  // Agent edge-1 (token `agent_token`, its first key trusted) serving connection "demo".
  static void AddEdgeWithDemo(controlplane::Stores& st, const std::string& agent_token) {
    REQUIRE(st.agents.Create("edge-1", crypto::HashToken(agent_token), "", true).ok());
    AddDemoConnection(st);
  }
  // Connection "demo" on agent edge-1 with credential app / pa55word.
  static void AddDemoConnection(controlplane::Stores& st) {
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
  std::string gateway_token;
  std::unique_ptr<controlplane::ControlPlaneServer> server;
  std::unique_ptr<v1::ControlService::Stub> stub;
};

}  // namespace warden::testing
