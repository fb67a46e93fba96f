// Admission of connections that have not authenticated yet, so that no unauthenticated client
// can starve the service. Each listener (PostgreSQL clients, agent tunnels) has its own: at most
// `global` such connections at once and at most `per_source` from one address, so idle or slow
// connections from a few hosts cannot take the capacity (or the file descriptors) everyone else
// needs. Sources marked trusted (the hosts of agents whose control stream is live: their tunnels
// are expected) draw on a reserve of their own, so strangers filling the listener never refuse a
// legitimate tunnel.
//
// A Ticket holds one slot until it is released (authenticated, handed over) or destroyed.
// Thread-safe; the decision (DecideAdmission) is a pure function of the counts, tested on its own.
#pragma once

#include <asio.hpp>
#include <memory>
#include <optional>
#include <string>

namespace warden::gateway {

struct AdmissionLimits {
  int global = 512;     // unauthenticated connections at once, strangers
  int per_source = 32;  // ... from one address
  int reserved = 512;   // ... from trusted sources (agent hosts), besides `global`
};

// Why a connection is refused, or "" to admit it. `from_source` and `total` count the
// connections already held (from that address; from all strangers or all trusted sources).
std::string DecideAdmission(const AdmissionLimits& limits, bool trusted, int from_source,
                            int total);

// The address in a gRPC peer string ("ipv4:10.0.0.7:51234", "ipv6:[::1]:51234"), if any.
std::optional<asio::ip::address> GrpcPeerAddress(const std::string& peer);

struct AdmissionState;  // admission.cc

class Admission {
 public:
  explicit Admission(AdmissionLimits limits);

  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& o) noexcept : state_(std::move(o.state_)), key_(std::move(o.key_)) {}
    Ticket& operator=(Ticket&& o) noexcept;
    ~Ticket() { Release(); }
    // Frees the slot (idempotent).
    void Release();
    bool held() const { return state_ != nullptr; }

   private:
    friend class Admission;
    struct Key {
      std::string source;
      bool trusted = false;
    };
    std::shared_ptr<AdmissionState> state_;
    Key key_;
  };

  // A slot for a connection from `source`, or nullopt with *why.
  std::optional<Ticket> TryAdmit(const asio::ip::address& source, std::string* why);

  // `source` hosts a live agent (counted: a host may run several agents).
  void Trust(const asio::ip::address& source);
  void Untrust(const asio::ip::address& source);

  // Slots held now (strangers, trusted).
  std::pair<int, int> held() const;

 private:
  std::shared_ptr<AdmissionState> state_;
};

}  // namespace warden::gateway
