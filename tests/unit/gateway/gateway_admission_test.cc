// Admission of unauthenticated connections (gateway/admission.h).
#include <catch2/catch.hpp>

#include "gateway/admission.h"

namespace {

using namespace warden::gateway;

asio::ip::address Addr(const char* text) { return asio::ip::make_address(text); }

}  // namespace

TEST_CASE("admission: decisions by source, total and trust", "[admission]") {
  AdmissionLimits l{.global = 10, .per_source = 3, .reserved = 5};
  CHECK(DecideAdmission(l, false, 2, 9).empty());
  CHECK(DecideAdmission(l, false, 3, 0) ==
        "3 connections from this address have not authenticated yet");
  CHECK(DecideAdmission(l, false, 0, 10) == "10 connections have not authenticated yet");
  // Trusted sources (agent hosts) have neither the per-source cap nor the strangers' total.
  CHECK(DecideAdmission(l, true, 40, 4).empty());
  CHECK_FALSE(DecideAdmission(l, true, 0, 5).empty());
}

TEST_CASE("admission: tickets hold slots until released or destroyed", "[admission]") {
  Admission a(AdmissionLimits{.global = 3, .per_source = 2, .reserved = 2});
  std::string why;
  auto t1 = a.TryAdmit(Addr("10.0.0.1"), &why);
  auto t2 = a.TryAdmit(Addr("::ffff:10.0.0.1"), &why);  // the same IPv4 client, dual-stack
  REQUIRE(t1);
  REQUIRE(t2);
  CHECK_FALSE(a.TryAdmit(Addr("10.0.0.1"), &why));
  CHECK_THAT(why, Catch::Contains("from this address"));
  auto t3 = a.TryAdmit(Addr("10.0.0.2"), &why);
  REQUIRE(t3);
  CHECK_FALSE(a.TryAdmit(Addr("10.0.0.3"), &why));  // strangers' total reached
  // An agent's host still gets in, from the reserve.
  a.Trust(Addr("10.0.0.9"));
  auto agent1 = a.TryAdmit(Addr("10.0.0.9"), &why);
  auto agent2 = a.TryAdmit(Addr("10.0.0.9"), &why);
  REQUIRE(agent1);
  REQUIRE(agent2);
  CHECK_FALSE(a.TryAdmit(Addr("10.0.0.9"), &why));
  CHECK(a.held() == std::pair{3, 2});
  t1->Release();
  t1->Release();                              // idempotent
  CHECK(a.TryAdmit(Addr("10.0.0.1"), &why));  // released and destroyed at once
  { Admission::Ticket moved = *std::move(t2); }
  CHECK(a.held() == std::pair{1, 2});
  a.Untrust(Addr("10.0.0.9"));
  agent1.reset();
  CHECK(a.held() == std::pair{1, 1});
}

TEST_CASE("admission: gRPC peer strings", "[admission]") {
  CHECK(GrpcPeerAddress("ipv4:10.1.2.3:5555") == Addr("10.1.2.3"));
  CHECK(GrpcPeerAddress("ipv6:[::1]:5555") == Addr("::1"));
  CHECK_FALSE(GrpcPeerAddress("unix:/tmp/sock"));
  CHECK_FALSE(GrpcPeerAddress("ipv4:nonsense:1"));
  CHECK_FALSE(GrpcPeerAddress(""));
}
