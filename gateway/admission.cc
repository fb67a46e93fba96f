#include "gateway/admission.h"

#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace warden::gateway {

struct AdmissionState {
  explicit AdmissionState(AdmissionLimits l) : limits(l) {}
  AdmissionLimits limits;
  std::mutex mu;
  std::map<std::string, int> per_source;  // slots held, by address
  std::map<std::string, int> trusted;     // live agents, by address
  int strangers = 0;
  int trusted_held = 0;
};

std::optional<asio::ip::address> GrpcPeerAddress(const std::string& peer) {
  std::string host;
  if (peer.rfind("ipv4:", 0) == 0) {
    host = peer.substr(5, peer.rfind(':') - 5);
  } else if (peer.rfind("ipv6:[", 0) == 0 && peer.find(']') != std::string::npos) {
    host = peer.substr(6, peer.find(']') - 6);
  } else {
    return std::nullopt;
  }
  asio::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return addr;
}

Admission::Admission(AdmissionLimits limits) : state_(std::make_shared<AdmissionState>(limits)) {}

std::string DecideAdmission(const AdmissionLimits& limits, bool trusted, int from_source,
                            int total) {
  if (trusted) {
    if (total >= limits.reserved) {
      return absl::StrCat(total, " connections from agent hosts are still opening");
    }
    return "";
  }
  if (from_source >= limits.per_source) {
    return absl::StrCat(from_source, " connections from this address have not authenticated yet");
  }
  if (total >= limits.global) {
    return absl::StrCat(total, " connections have not authenticated yet");
  }
  return "";
}

Admission::Ticket& Admission::Ticket::operator=(Ticket&& o) noexcept {
  if (this != &o) {
    Release();
    state_ = std::move(o.state_);
    key_ = std::move(o.key_);
  }
  return *this;
}

void Admission::Ticket::Release() {
  if (!state_) return;
  std::shared_ptr<AdmissionState> s = std::move(state_);
  std::lock_guard<std::mutex> lock(s->mu);
  (key_.trusted ? s->trusted_held : s->strangers) -= 1;
  if (auto it = s->per_source.find(key_.source); it != s->per_source.end() && --it->second <= 0) {
    s->per_source.erase(it);
  }
}

std::optional<Admission::Ticket> Admission::TryAdmit(const asio::ip::address& source,
                                                     std::string* why) {
  // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: count it as a.b.c.d.
  const asio::ip::address addr =
      source.is_v6() && source.to_v6().is_v4_mapped()
          ? asio::ip::address(asio::ip::make_address_v4(asio::ip::v4_mapped, source.to_v6()))
          : source;
  std::string key = addr.to_string();
  std::lock_guard<std::mutex> lock(state_->mu);
  const bool trusted = state_->trusted.count(key) > 0;
  auto it = state_->per_source.find(key);
  const int from_source = it == state_->per_source.end() ? 0 : it->second;
  *why = DecideAdmission(state_->limits, trusted, from_source,
                         trusted ? state_->trusted_held : state_->strangers);
  if (!why->empty()) return std::nullopt;
  ++state_->per_source[key];
  ++(trusted ? state_->trusted_held : state_->strangers);
  Ticket t;
  t.state_ = state_;
  t.key_ = Ticket::Key{std::move(key), trusted};
  return t;
}

void Admission::Trust(const asio::ip::address& source) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ++state_->trusted[source.to_string()];
}

void Admission::Untrust(const asio::ip::address& source) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->trusted.find(source.to_string());
  if (it != state_->trusted.end() && --it->second <= 0) state_->trusted.erase(it);
}

std::pair<int, int> Admission::held() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return {state_->strangers, state_->trusted_held};
}

}  // namespace warden::gateway
