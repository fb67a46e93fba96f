// The live client sessions, as each gateway last reported them, and the sessions an admin ended
// (wardenctl sessions kill) for the agents' control streams to carry out. In memory only: a
// session is live state, and a control plane restart simply waits for the next reports.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "warden/v1/agent.pb.h"
#include "warden/v1/control.pb.h"

namespace warden::controlplane {

class LiveSessions {
 public:
  static constexpr std::chrono::seconds kStaleAfter{15};
  // Ends are kept this long for agent streams that (re)connect meanwhile; then the session is
  // gone anyway or its agent has no stream to hear it on.
  static constexpr std::chrono::seconds kEndsKept{60};

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

  // Ends the live session `session_id`: NotFound when no gateway reported it. Returns the
  // session as last reported; it is no longer listed.
  absl::StatusOr<v1::LiveSession> End(const std::string& session_id, v1::EndSession end) {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto& [gateway, report] : reports_) {
      if (now - report.at > kStaleAfter) continue;
      auto& list = report.sessions;
      auto it = std::find_if(list.begin(), list.end(),
                             [&](const auto& s) { return s.session_id() == session_id; });
      if (it == list.end()) continue;
      v1::LiveSession found = std::move(*it);
      list.erase(it);
      end.set_session_id(session_id);
      while (!ends_.empty() && now - ends_.front().at > kEndsKept) ends_.erase(ends_.begin());
      ends_.push_back(End_{now, ++ends_seq_, std::move(end)});
      return found;
    }
    return absl::NotFoundError(absl::StrCat("no live session \"", session_id,
                                            "\" (wardenctl sessions list shows the live ones)"));
  }

  // The ends recorded after sequence number `*seen` (0 for all kept), in order; moves *seen on.
  std::vector<v1::EndSession> EndsSince(uint64_t* seen) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<v1::EndSession> out;
    for (const End_& e : ends_) {
      if (e.seq > *seen) out.push_back(e.end);
    }
    *seen = ends_seq_;
    return out;
  }

 private:
  struct End_ {
    std::chrono::steady_clock::time_point at;
    uint64_t seq = 0;
    v1::EndSession end;
  };
  struct Report_ {
    std::chrono::steady_clock::time_point at;
    std::vector<v1::LiveSession> sessions;
  };
  std::mutex mu_;
  std::map<std::string, Report_> reports_;
  std::vector<End_> ends_;
  uint64_t ends_seq_ = 0;
};

}  // namespace warden::controlplane
