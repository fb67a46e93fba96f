#include "agent/runtime/connection_directory.h"

namespace warden::agent {

void ConnectionDirectory::Replace(const v1::Welcome& welcome) {
  auto next = std::make_shared<Map>();
  for (const auto& c : welcome.connections()) (*next)[c.name()] = c;
  std::lock_guard<std::mutex> lock(mu_);
  map_ = std::move(next);
}

std::optional<v1::ServedConnection> ConnectionDirectory::Find(const std::string& name) const {
  std::shared_ptr<const Map> map;
  {
    std::lock_guard<std::mutex> lock(mu_);
    map = map_;
  }
  auto it = map->find(name);
  if (it == map->end()) return std::nullopt;
  return it->second;
}

size_t ConnectionDirectory::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_->size();
}

}  // namespace warden::agent
