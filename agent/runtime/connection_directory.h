// The connections this agent serves, as the control plane last described them (Welcome). Read
// by every new session, replaced wholesale on every Welcome, so a session sees one consistent
// description of its connection.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "warden/v1/agent.pb.h"

namespace warden::agent {

class ConnectionDirectory {
 public:
  // Replaces every entry with the Welcome's connections.
  void Replace(const v1::Welcome& welcome);
  // A copy of the named connection, or nullopt when this agent does not serve it.
  std::optional<v1::ServedConnection> Find(const std::string& name) const;
  size_t size() const;

 private:
  using Map = std::unordered_map<std::string, v1::ServedConnection>;
  mutable std::mutex mu_;
  std::shared_ptr<const Map> map_ = std::make_shared<const Map>();
};

}  // namespace warden::agent
