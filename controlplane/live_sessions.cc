#include "controlplane/live_sessions.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace warden::controlplane {

void LiveSessions::Report(const std::string& gateway, std::vector<v1::LiveSession> sessions,
                          Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> reported;
  for (auto& s : sessions) {
    s.set_gateway(gateway);
    authorized_.erase(s.session_id());  // the report carries what authorized it from now on
    reported.insert(s.session_id());
  }
  // Authorized through this gateway a while ago and not in its report: it ended (or never
  // opened) before any report listed it.
  std::erase_if(authorized_, [&](const auto& a) {
    return a.second.session.gateway() == gateway && now - a.second.at > kUnreportedAfter &&
           !reported.count(a.first);
  });
  reports_[gateway] = Report_{now, std::move(sessions)};
  DropStaleLocked(now);
}

absl::Status LiveSessions::Authorized(v1::LiveSession session, int limit, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  DropStaleLocked(now);
  if (limit > 0) {
    std::set<std::string> held;
    auto count = [&](const v1::LiveSession& s) {
      if (s.identity() == session.identity() && s.connection() == session.connection()) {
        held.insert(s.session_id());
      }
    };
    for (const auto& [gateway, report] : reports_) {
      for (const auto& s : report.sessions) count(s);
    }
    for (const auto& [id, a] : authorized_) count(a.session);
    if (static_cast<int>(held.size()) >= limit) {
      return absl::ResourceExhaustedError(
          absl::StrCat("identity \"", session.identity(), "\" already has ", held.size(),
                       " sessions on connection \"", session.connection(),
                       "\", its limit: close one, or ask an administrator to raise "
                       "--max-sessions-per-identity"));
    }
  }
  std::string id = session.session_id();
  granted_[id] = session;
  authorized_[id] = Authorized_{now, std::move(session)};
  return absl::OkStatus();
}

void LiveSessions::DropStaleLocked(Clock::time_point now) {
  std::erase_if(reports_, [&](const auto& r) { return now - r.second.at > kStaleAfter; });
  std::erase_if(authorized_, [&](const auto& a) { return now - a.second.at > kAuthorizedKept; });
  // A session no report lists and no longer just authorized has ended.
  std::set<std::string> live;
  for (const auto& [gateway, report] : reports_) {
    for (const auto& s : report.sessions) live.insert(s.session_id());
  }
  std::erase_if(granted_, [&](const auto& g) {
    return !authorized_.contains(g.first) && !live.contains(g.first);
  });
  while (!ends_.empty() && now - ends_.front().at > kEndsKept) ends_.erase(ends_.begin());
}

std::optional<v1::LiveSession> LiveSessions::Find(const std::string& session_id,
                                                  Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  DropStaleLocked(now);
  auto g = granted_.find(session_id);
  if (g == granted_.end()) return std::nullopt;
  return g->second;
}

std::vector<v1::LiveSession> LiveSessions::List(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  DropStaleLocked(now);
  std::vector<v1::LiveSession> out;
  for (const auto& [gateway, report] : reports_) {
    out.insert(out.end(), report.sessions.begin(), report.sessions.end());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.started_unix() != b.started_unix() ? a.started_unix() < b.started_unix()
                                                : a.session_id() < b.session_id();
  });
  return out;
}

void LiveSessions::EndLocked(const std::string& session_id, v1::EndSession end,
                             Clock::time_point now) {
  for (auto& [gateway, report] : reports_) {
    std::erase_if(report.sessions, [&](const auto& s) { return s.session_id() == session_id; });
  }
  authorized_.erase(session_id);
  granted_.erase(session_id);
  end.set_session_id(session_id);
  ends_.push_back(End_{now, ++ends_seq_, std::move(end)});
}

absl::StatusOr<v1::LiveSession> LiveSessions::End(const std::string& session_id, v1::EndSession end,
                                                  Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  DropStaleLocked(now);
  std::optional<v1::LiveSession> found;
  for (const auto& [gateway, report] : reports_) {
    for (const auto& s : report.sessions) {
      if (s.session_id() == session_id) found = s;
    }
  }
  if (!found) {
    if (auto it = authorized_.find(session_id); it != authorized_.end()) found = it->second.session;
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no live session \"", session_id,
                                            "\" (wardenctl sessions list shows the live ones)"));
  }
  EndLocked(session_id, std::move(end), now);
  return *found;
}

std::vector<v1::LiveSession> LiveSessions::EndWhere(const EndReason& why, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  DropStaleLocked(now);
  std::vector<const v1::LiveSession*> candidates;
  for (const auto& [gateway, report] : reports_) {
    for (const auto& s : report.sessions) candidates.push_back(&s);
  }
  for (const auto& [id, a] : authorized_) candidates.push_back(&a.session);
  std::set<std::string> seen;
  std::vector<std::pair<v1::LiveSession, v1::EndSession>> ending;
  for (const v1::LiveSession* s : candidates) {
    if (!seen.insert(s->session_id()).second) continue;
    if (std::optional<v1::EndSession> end = why(*s)) ending.emplace_back(*s, *std::move(end));
  }
  std::vector<v1::LiveSession> ended;
  for (auto& [session, end] : ending) {
    EndLocked(session.session_id(), std::move(end), now);
    ended.push_back(std::move(session));
  }
  return ended;
}

std::vector<v1::EndSession> LiveSessions::EndsSince(uint64_t* seen) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::EndSession> out;
  for (const End_& e : ends_) {
    if (e.seq > *seen) out.push_back(e.end);
  }
  *seen = ends_seq_;
  return out;
}

}  // namespace warden::controlplane
