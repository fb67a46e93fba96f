// The live client sessions, as each gateway last reported them. In memory only: a session is
// live state, and a control plane restart simply waits for the next reports.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "warden/v1/control.pb.h"

namespace warden::controlplane {

class LiveSessions {
 public:
  static constexpr std::chrono::seconds kStaleAfter{15};

  void Report(const std::string& gateway, std::vector<v1::LiveSession> sessions) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : sessions) s.set_gateway(gateway);
    reports_[gateway] = Report_{std::chrono::steady_clock::now(), std::move(sessions)};
  }

  // Every session of every gateway that reported recently, oldest first.
  std::vector<v1::LiveSession> List() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    std::vector<v1::LiveSession> out;
    for (auto it = reports_.begin(); it != reports_.end();) {
      if (now - it->second.at > kStaleAfter) {
        it = reports_.erase(it);
        continue;
      }
      out.insert(out.end(), it->second.sessions.begin(), it->second.sessions.end());
      ++it;
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.started_unix() != b.started_unix() ? a.started_unix() < b.started_unix()
                                                  : a.session_id() < b.session_id();
    });
    return out;
  }

 private:
  struct Report_ {
    std::chrono::steady_clock::time_point at;
    std::vector<v1::LiveSession> sessions;
  };
  std::mutex mu_;
  std::map<std::string, Report_> reports_;
};

}  // namespace warden::controlplane
