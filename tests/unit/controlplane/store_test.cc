// Store tests on a real SQLite file in a temporary directory.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/crypto/keyring.h"
#include "controlplane/stores.h"

namespace fs = std::filesystem;
using warden::controlplane::Stores;

namespace {

struct TempStore {
  TempStore() {
    char tmpl[] = "/tmp/warden-store-XXXXXX";
    dir = ::mkdtemp(tmpl);
    db = dir / "warden.db";
    key = dir / "master.key";
    FILE* f = std::fopen(key.c_str(), "w");
    std::string k = warden::crypto::Keyring::GenerateKeyFile("k1");
    std::fwrite(k.data(), 1, k.size(), f);
    std::fclose(f);
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);  // a key file: 0600
  }
  ~TempStore() { fs::remove_all(dir); }
  std::unique_ptr<Stores> Open() {
    auto s = Stores::Open(db, key);
    REQUIRE(s.ok());
    return std::move(*s);
  }
  void Sql(const std::string& sql) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  fs::path dir, db, key;
};

warden::v1::ConnectionInfo Conn(const std::string& name, const std::string& agent) {
  warden::v1::ConnectionInfo c;
  c.set_name(name);
  c.set_agent(agent);
  c.set_protocol("postgres");
  c.set_host("127.0.0.1");
  c.set_port(5432);
  c.set_database("app");
  c.set_tls_mode("disable");
  return c;
}

}  // namespace

TEST_CASE("a store from a newer Warden is refused with a clear message", "[store]") {
  TempStore t;
  { auto s = t.Open(); }
  t.Sql("PRAGMA user_version = 99");
  auto s = Stores::Open(t.db, t.key);
  REQUIRE(absl::IsFailedPrecondition(s.status()));
  REQUIRE(std::string(s.status().message()).find("newer Warden") != std::string::npos);
}

TEST_CASE("the store runs in WAL mode with foreign keys", "[store]") {
  TempStore t;
  auto s = t.Open();
  REQUIRE(fs::exists(t.dir / "warden.db-wal"));
  REQUIRE(s->agents.Create("a1", "hash1").ok());
  REQUIRE(s->connections.Create(Conn("c1", "a1")).ok());
  auto del = s->agents.Delete("a1");
  REQUIRE(absl::IsFailedPrecondition(del));
  REQUIRE(std::string(del.message()).find("c1") != std::string::npos);
}

TEST_CASE("credentials are sealed at rest and tampering is detected", "[store]") {
  TempStore t;
  auto s = t.Open();
  REQUIRE(s->agents.Create("a1", "hash1").ok());
  REQUIRE(s->connections.Create(Conn("c1", "a1")).ok());
  REQUIRE(s->connections.Create(Conn("c2", "a1")).ok());
  REQUIRE(s->connections.SetCredential("c1", "app", "pa55word").ok());
  REQUIRE(s->connections.SetCredential("c2", "app", "other").ok());
  auto cred = s->connections.OpenCredential("c1");
  REQUIRE(cred.ok());
  REQUIRE(cred->secret == "pa55word");
  auto info = s->connections.Get("c1");
  REQUIRE(info->has_credential());
  REQUIRE(info->credential_key_id() == "k1");

  SECTION("rewritten ciphertext") {
    // Same length, different bytes: only the GCM tag can notice.
    t.Sql(
        "UPDATE credentials SET sealed = randomblob(length(sealed)) WHERE connection_id = "
        "(SELECT id FROM connections WHERE name = 'c1')");
    auto bad = s->connections.OpenCredential("c1");
    REQUIRE(absl::IsDataLoss(bad.status()));
    REQUIRE(std::string(bad.status().message()).find("c1") != std::string::npos);
  }
  SECTION("a ciphertext moved to another connection's row") {
    t.Sql(
        "UPDATE credentials SET sealed = (SELECT sealed FROM credentials WHERE connection_id = "
        "(SELECT id FROM connections WHERE name = 'c2')) WHERE connection_id = (SELECT id FROM "
        "connections WHERE name = 'c1')");
    REQUIRE(absl::IsDataLoss(s->connections.OpenCredential("c1").status()));
  }
}

TEST_CASE("access tokens: hashed, expiring, revocable", "[store]") {
  TempStore t;
  auto s = t.Open();
  auto issued = s->tokens.Create("claude", {"ai-agents", "readers"}, 3600);
  REQUIRE(issued.ok());
  auto who = s->tokens.Authenticate(issued->token);
  REQUIRE(who.ok());
  REQUIRE(who->identity == "claude");
  REQUIRE(who->groups == std::vector<std::string>{"ai-agents", "readers"});
  REQUIRE(absl::IsUnauthenticated(s->tokens.Authenticate("wdn_nope").status()));

  SECTION("expired") {
    t.Sql("UPDATE access_tokens SET expires_at = 1");
    auto st = s->tokens.Authenticate(issued->token).status();
    REQUIRE(absl::IsUnauthenticated(st));
    REQUIRE(std::string(st.message()).find("expired") != std::string::npos);
    REQUIRE(s->tokens.List("")->front().status() == "expired");
  }
  SECTION("revoked") {
    REQUIRE(s->tokens.Revoke(issued->info.id()).ok());
    auto st = s->tokens.Authenticate(issued->token).status();
    REQUIRE(absl::IsUnauthenticated(st));
    REQUIRE(std::string(st.message()).find("revoked") != std::string::npos);
    REQUIRE(absl::IsNotFound(s->tokens.Revoke("tok_missing").status()));
  }
}

TEST_CASE("policy versions bump on change and delete, not on a repeat", "[store]") {
  TempStore t;
  auto s = t.Open();
  warden::v1::Policy p;
  p.set_name("p1");
  auto r1 = s->policies.Apply(p, "a");
  REQUIRE(r1->changed);
  REQUIRE(r1->version == 1);
  auto r2 = s->policies.Apply(p, "a");
  REQUIRE_FALSE(r2->changed);
  REQUIRE(r2->version == 1);
  auto r3 = s->policies.Apply(p, "b");
  REQUIRE(r3->version == 2);
  auto snap = s->policies.Snapshot();
  REQUIRE(snap->version() == 2);
  REQUIRE(snap->policies(0).version() == 2);
  REQUIRE(*s->policies.Delete("p1") == 3);
  REQUIRE(absl::IsNotFound(s->policies.Delete("p1").status()));
}

TEST_CASE("a policy's tests are kept for its authors and left out of what agents receive",
          "[store]") {
  TempStore t;
  auto s = t.Open();
  warden::v1::Policy p;
  p.set_name("p1");
  p.add_tests()->set_name("reads");
  REQUIRE(s->policies.Apply(p, "a").ok());
  REQUIRE(s->policies.List().value().front().spec().tests_size() == 1);
  auto snap = s->policies.Snapshot();
  REQUIRE(snap->policies_size() == 1);
  CHECK(snap->policies(0).tests_size() == 0);
}

TEST_CASE("the masking key is created once, sealed at rest, and tampering is detected", "[store]") {
  TempStore t;
  std::string key;
  {
    auto s = t.Open();
    auto created = s->server_keys.MaskingKey();
    REQUIRE(created.ok());
    key = *created;
    REQUIRE(key.size() == warden::store::kMaskingKeyLen);
    REQUIRE(*s->server_keys.MaskingKey() == key);
  }
  // A restart reads the same key back, and the row holds only ciphertext.
  auto s = t.Open();
  REQUIRE(*s->server_keys.MaskingKey() == key);
  {
    auto raw = s->db->Prepare("SELECT key_id, sealed FROM server_keys WHERE name = 'masking_key'");
    REQUIRE(raw.ok());
    REQUIRE(*raw->Step());
    REQUIRE(raw->Text(0) == "k1");
    REQUIRE(raw->Blob(1).find(key) == std::string::npos);
  }  // finalized: an open statement would pin its read snapshot

  SECTION("rewritten ciphertext") {
    t.Sql("UPDATE server_keys SET sealed = randomblob(length(sealed)) WHERE name = 'masking_key'");
    auto bad = s->server_keys.MaskingKey();
    REQUIRE(absl::IsDataLoss(bad.status()));
    REQUIRE(std::string(bad.status().message()).find("masking key") != std::string::npos);
  }
  SECTION("a credential's ciphertext moved into the masking key's row") {
    REQUIRE(s->agents.Create("a1", "hash1").ok());
    REQUIRE(s->connections.Create(Conn("c1", "a1")).ok());
    REQUIRE(s->connections.SetCredential("c1", "app", "pa55word").ok());
    t.Sql(
        "UPDATE server_keys SET sealed = (SELECT sealed FROM credentials) WHERE name = "
        "'masking_key'");
    REQUIRE(absl::IsDataLoss(s->server_keys.MaskingKey().status()));
  }
}

TEST_CASE("admin tokens carry identity, groups and roles; the last admin stays", "[store]") {
  TempStore t;
  auto s = t.Open();
  auto setup = s->admin_tokens.Create("bootstrap");
  REQUIRE(setup.ok());
  warden::v1::AdminTokenInfo spec;
  spec.set_name("alice");
  spec.set_identity("alice");
  spec.add_groups("dba");
  spec.add_groups("oncall");
  spec.add_roles("approver");
  auto alice = s->admin_tokens.CreateListed(spec);
  REQUIRE(alice.ok());

  auto who = s->admin_tokens.Authenticate(alice->second);
  REQUIRE(who.ok());
  CHECK(who->identity() == "alice");
  CHECK(std::vector<std::string>(who->groups().begin(), who->groups().end()) ==
        std::vector<std::string>{"dba", "oncall"});
  CHECK(std::vector<std::string>(who->roles().begin(), who->roles().end()) ==
        std::vector<std::string>{"approver"});
  auto boot = s->admin_tokens.Authenticate(*setup);
  REQUIRE(boot.ok());
  CHECK(boot->roles_size() == 1);
  CHECK(boot->roles(0) == "admin");
  CHECK(boot->identity().empty());

  // An approver does not count as a way to administer: the only admin cannot be revoked.
  CHECK(*s->admin_tokens.CountActive() == 1);
  auto last = s->admin_tokens.Revoke(boot->id());
  CHECK(last.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s->admin_tokens.Revoke(who->id()).ok());
  CHECK(s->admin_tokens.Authenticate(alice->second).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("admin tokens issued before roles existed keep doing everything", "[store]") {
  TempStore t;
  { auto s = t.Open(); }
  // The store as schema 4 had it (no approval queue yet), with a token in it.
  t.Sql(
      "DROP TABLE approval_requests; DROP TABLE admin_tokens; CREATE TABLE admin_tokens (id "
      "INTEGER PRIMARY KEY, public_id "
      "TEXT NOT NULL UNIQUE, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at "
      "INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0); INSERT INTO admin_tokens "
      "(public_id, name, token_hash, created_at) VALUES ('adm_old', 'old', 'h', 1); PRAGMA "
      "user_version = 4");
  auto s = t.Open();
  auto list = s->admin_tokens.List();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().id() == "adm_old");
  REQUIRE(list->front().roles_size() == 1);
  CHECK(list->front().roles(0) == "admin");
  CHECK(*s->admin_tokens.CountActive() == 1);
}

TEST_CASE("approval requests are kept whole and survive a reopen", "[store]") {
  TempStore t;
  warden::v1::ApprovalRequest r;
  r.set_id("apr_1");
  r.set_state(warden::v1::APPROVAL_STATE_PENDING);
  r.set_session_id("s1");
  r.set_statement("DELETE FROM orders WHERE id = $1");
  r.add_parameters("42");
  r.set_created_unix(100);
  r.set_expires_unix(400);
  {
    auto s = t.Open();
    REQUIRE(s->approvals.Create(r).ok());
    CHECK(s->approvals.Create(r).code() == absl::StatusCode::kAlreadyExists);
    warden::v1::ApprovalRequest older = r;
    older.set_id("apr_0");
    older.set_created_unix(50);
    older.set_state(warden::v1::APPROVAL_STATE_DENIED);
    REQUIRE(s->approvals.Create(older).ok());
  }
  auto s = t.Open();  // as after a control-plane restart
  auto got = s->approvals.Get("apr_1");
  REQUIRE(got.ok());
  CHECK(got->statement() == r.statement());
  CHECK(got->parameters(0) == "42");
  auto pending = s->approvals.List(warden::v1::APPROVAL_STATE_PENDING, 10);
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == 1);
  CHECK(pending->front().id() == "apr_1");
  auto all = s->approvals.List(std::nullopt, 10);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK(all->front().id() == "apr_1");  // newest first

  got->set_state(warden::v1::APPROVAL_STATE_APPROVED);
  REQUIRE(s->approvals.Update(*got).ok());
  CHECK(s->approvals.List(warden::v1::APPROVAL_STATE_PENDING, 10)->empty());
  CHECK(s->approvals.Get("apr_1")->state() == warden::v1::APPROVAL_STATE_APPROVED);
  warden::v1::ApprovalRequest missing;
  missing.set_id("apr_9");
  CHECK(s->approvals.Update(missing).code() == absl::StatusCode::kNotFound);
  CHECK(s->approvals.Get("apr_9").status().code() == absl::StatusCode::kNotFound);
}
