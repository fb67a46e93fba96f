#include "agent/postgres/request_ledger.h"

namespace warden::agent {

bool RequestLedger::Expect(Await await, LedgerEffect effect) {
  if (entries_.size() >= kMaxEntries) return false;
  if (await == Await::kReady) ++awaiting_ready_;
  entries_.push_back(Entry{await, std::move(effect)});
  return true;
}

void RequestLedger::DropUntilReady(bool including) {
  // A ReadyForQuery no request of ours asked for (the one ending start-up) changes nothing.
  if (including && awaiting_ready_ == 0) return;
  while (!entries_.empty()) {
    if (entries_.front().await == Await::kReady) {
      if (!including) return;
      --awaiting_ready_;
      entries_.pop_front();
      return;
    }
    entries_.pop_front();
  }
}

const LedgerEffect* RequestLedger::Pending(LedgerEffect::Kind kind, std::string_view name) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->effect.kind == kind && it->effect.name == name) return &it->effect;
  }
  return nullptr;
}

std::vector<std::string> RequestLedger::PendingPreparedNames() const {
  std::vector<std::string> names;
  for (const Entry& e : entries_) {
    for (const sql::PreparedChange& c : e.effect.prepared) names.push_back(c.all ? "" : c.name);
  }
  return names;
}

}  // namespace warden::agent
