// Everything the control plane keeps, opened together.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/keyring.h"
#include "controlplane/store/agent_store.h"
#include "controlplane/store/approval_store.h"
#include "controlplane/store/connection_store.h"
#include "controlplane/store/database.h"
#include "controlplane/store/gateway_store.h"
#include "controlplane/store/policy_store.h"
#include "controlplane/store/server_key_store.h"
#include "controlplane/store/token_store.h"

namespace warden::controlplane {

struct Stores {
  Stores(std::unique_ptr<store::Database> database, crypto::Keyring ring)
      : db(std::move(database)),
        keyring(std::move(ring)),
        agents(*db),
        connections(*db, keyring),
        tokens(*db),
        admin_tokens(*db),
        policies(*db),
        server_keys(*db, keyring),
        gateways(*db),
        approvals(*db) {}

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Stores>> Open(
      const std::string& db_path, const std::string& master_key_file) {
    auto ring = crypto::Keyring::Load(master_key_file);
    if (!ring.ok()) return ring.status();
    auto db = store::Database::Open(db_path);
    if (!db.ok()) return db.status();
    return std::make_unique<Stores>(std::move(*db), std::move(*ring));
  }

  std::unique_ptr<store::Database> db;
  crypto::Keyring keyring;
  store::AgentStore agents;
  store::ConnectionStore connections;
  store::TokenStore tokens;
  store::AdminTokenStore admin_tokens;
  store::PolicyStore policies;
  store::ServerKeyStore server_keys;
  store::GatewayStore gateways;
  store::ApprovalStore approvals;
};

}  // namespace warden::controlplane
