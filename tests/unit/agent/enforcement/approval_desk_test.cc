// The approval desk (agent/enforcement/approval_desk.h): raises go out only on a live stream,
// answers and decisions reach the session that asked and no other, withdrawals and outcomes
// wait for the next stream, and a raise the stream lost is refused.
#include "agent/enforcement/approval_desk.h"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

using namespace warden;
using agent::ApprovalDesk;

namespace {

struct Stream {
  std::vector<v1::ApprovalMessage> sent;
  bool up = true;
  ApprovalDesk::Sender Sender() {
    return [this](const v1::ApprovalMessage& m) {
      if (!up) return false;
      sent.push_back(m);
      return true;
    };
  }
};

struct Ear {
  std::vector<v1::ApprovalUpdate> heard;
  ApprovalDesk::Listener Listener() {
    return [this](const v1::ApprovalUpdate& u) { heard.push_back(u); };
  }
};

v1::ApprovalRequest Proposed(const std::string& session) {
  v1::ApprovalRequest r;
  r.set_session_id(session);
  r.set_statement("DELETE FROM orders WHERE id = 1");
  return r;
}

v1::ApprovalUpdate Answer(const std::string& handle, const std::string& id,
                          v1::ApprovalState state = v1::APPROVAL_STATE_PENDING) {
  v1::ApprovalUpdate u;
  u.set_handle(handle);
  u.mutable_request()->set_id(id);
  u.mutable_request()->set_state(state);
  return u;
}

v1::ApprovalUpdate Decision(const std::string& id, v1::ApprovalState state) {
  return Answer("", id, state);
}

}  // namespace

TEST_CASE("approval desk: without a stream a raise is refused at once", "[approvals]") {
  ApprovalDesk desk;
  Ear ear;
  CHECK(!desk.available());
  auto h = desk.Raise(Proposed("ses_1"), ear.Listener());
  CHECK(h.status().code() == absl::StatusCode::kUnavailable);
  CHECK(desk.waiting() == 0);

  // A stream that fails to carry the raise: its session hears so when the stream is gone.
  Stream down;
  down.up = false;
  desk.Connected(down.Sender());
  REQUIRE(desk.Raise(Proposed("ses_1"), ear.Listener()).ok());
  desk.Flush();
  CHECK(!desk.available());
  CHECK(desk.Raise(Proposed("ses_1"), ear.Listener()).status().code() ==
        absl::StatusCode::kUnavailable);
  desk.Disconnected();
  REQUIRE(ear.heard.size() == 1);
  CHECK(!ear.heard[0].error().empty());
}

TEST_CASE("approval desk: answers and decisions reach the session that asked", "[approvals]") {
  ApprovalDesk desk;
  Stream stream;
  desk.Connected(stream.Sender());
  REQUIRE(desk.available());
  Ear one, two;
  auto h1 = desk.Raise(Proposed("ses_1"), one.Listener());
  auto h2 = desk.Raise(Proposed("ses_2"), two.Listener());
  REQUIRE(h1.ok());
  REQUIRE(h2.ok());
  CHECK(*h1 != *h2);
  desk.Flush();
  REQUIRE(stream.sent.size() == 2);
  CHECK(stream.sent[0].kind() == v1::ApprovalMessage::KIND_RAISE);
  CHECK(stream.sent[0].handle() == *h1);
  CHECK(stream.sent[1].request().session_id() == "ses_2");

  desk.Deliver(Answer(*h2, "apr_2"));
  desk.Deliver(Answer(*h1, "apr_1"));
  desk.Deliver(Decision("apr_2", v1::APPROVAL_STATE_DENIED));
  desk.Deliver(Decision("apr_9", v1::APPROVAL_STATE_APPROVED));  // nobody here waits for it
  REQUIRE(one.heard.size() == 1);
  CHECK(one.heard[0].request().id() == "apr_1");
  REQUIRE(two.heard.size() == 2);
  CHECK(two.heard[1].request().state() == v1::APPROVAL_STATE_DENIED);
  // A final state drops the listener: a repeat (a read-back after a reconnect) is not heard.
  desk.Deliver(Decision("apr_2", v1::APPROVAL_STATE_DENIED));
  CHECK(two.heard.size() == 2);
  CHECK(desk.waiting() == 1);

  // Approved: the listener stays until the outcome, which goes out with the request's id.
  desk.Deliver(Decision("apr_1", v1::APPROVAL_STATE_APPROVED));
  CHECK(one.heard.size() == 2);
  v1::ApprovalOutcome o;
  o.set_command_tag("DELETE 1");
  desk.Outcome(*h1, o);
  desk.Flush();
  CHECK(stream.sent.back().kind() == v1::ApprovalMessage::KIND_OUTCOME);
  CHECK(stream.sent.back().request_id() == "apr_1");
  CHECK(stream.sent.back().outcome().command_tag() == "DELETE 1");
  CHECK(desk.waiting() == 0);
}

TEST_CASE("approval desk: an error answers the raise and ends it", "[approvals]") {
  ApprovalDesk desk;
  Stream stream;
  desk.Connected(stream.Sender());
  Ear ear;
  auto h = desk.Raise(Proposed("ses_1"), ear.Listener());
  REQUIRE(h.ok());
  v1::ApprovalUpdate refused;
  refused.set_handle(*h);
  refused.set_error("policy \"p\" names no approvers");
  desk.Deliver(refused);
  REQUIRE(ear.heard.size() == 1);
  CHECK(ear.heard[0].error() == "policy \"p\" names no approvers");
  CHECK(desk.waiting() == 0);
}

TEST_CASE("approval desk: withdrawing before the answer withdraws once the id is known",
          "[approvals]") {
  ApprovalDesk desk;
  Stream stream;
  desk.Connected(stream.Sender());
  Ear ear;
  auto h = desk.Raise(Proposed("ses_1"), ear.Listener());
  REQUIRE(h.ok());
  desk.Flush();  // the raise is out
  desk.Withdraw(*h);
  desk.Flush();
  CHECK(stream.sent.size() == 1);  // no id to withdraw yet
  desk.Deliver(Answer(*h, "apr_1"));
  CHECK(ear.heard.empty());  // the session is gone from this request
  desk.Flush();
  REQUIRE(stream.sent.size() == 2);
  CHECK(stream.sent[1].kind() == v1::ApprovalMessage::KIND_WITHDRAW);
  CHECK(stream.sent[1].request_id() == "apr_1");
  CHECK(desk.waiting() == 0);
}

TEST_CASE("approval desk: a lost stream refuses unanswered raises and keeps the rest",
          "[approvals]") {
  ApprovalDesk desk;
  Stream first;
  desk.Connected(first.Sender());
  Ear answered, unanswered;
  auto h1 = desk.Raise(Proposed("ses_1"), answered.Listener());
  auto h2 = desk.Raise(Proposed("ses_2"), unanswered.Listener());
  REQUIRE(h1.ok());
  REQUIRE(h2.ok());
  desk.Deliver(Answer(*h1, "apr_1"));
  desk.Disconnected();
  CHECK(!desk.available());
  REQUIRE(unanswered.heard.size() == 1);
  CHECK(unanswered.heard[0].error().find("lost before the request was recorded") !=
        std::string::npos);
  CHECK(answered.heard.size() == 1);  // still waiting: the request is in the queue

  // A withdrawal while no stream is up waits for the next one; then the decision made
  // meanwhile (read back by the control plane) would find nobody.
  desk.Withdraw(*h1);
  Stream second;
  desk.Connected(second.Sender());
  desk.Flush();
  REQUIRE(second.sent.size() == 1);
  CHECK(second.sent[0].kind() == v1::ApprovalMessage::KIND_WITHDRAW);
  CHECK(second.sent[0].request_id() == "apr_1");
  desk.Deliver(Decision("apr_1", v1::APPROVAL_STATE_APPROVED));
  CHECK(answered.heard.size() == 1);
}

TEST_CASE("approval desk: a request held across a reconnect still hears its decision",
          "[approvals]") {
  ApprovalDesk desk;
  Stream first;
  desk.Connected(first.Sender());
  Ear ear;
  auto h = desk.Raise(Proposed("ses_1"), ear.Listener());
  REQUIRE(h.ok());
  desk.Deliver(Answer(*h, "apr_1"));
  desk.Disconnected();
  Stream second;
  desk.Connected(second.Sender());
  desk.Deliver(Decision("apr_1", v1::APPROVAL_STATE_APPROVED));
  REQUIRE(ear.heard.size() == 2);
  CHECK(ear.heard[1].request().state() == v1::APPROVAL_STATE_APPROVED);
}

TEST_CASE("approval desk: a raise withdrawn before it went out is never sent", "[approvals]") {
  ApprovalDesk desk;
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::vector<std::string> sent;
  desk.Connected([&](const v1::ApprovalMessage& m) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return open; });  // the stream is slow: the first raise is on its way
    sent.push_back(m.handle());
    return true;
  });
  Ear first, second;
  auto h1 = desk.Raise(Proposed("ses_1"), first.Listener());
  auto h2 = desk.Raise(Proposed("ses_2"), second.Listener());
  REQUIRE(h1.ok());
  REQUIRE(h2.ok());
  desk.Withdraw(*h2);
  CHECK(desk.waiting() == 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
  }
  cv.notify_all();
  desk.Flush();
  std::lock_guard<std::mutex> lock(mu);
  CHECK(sent == std::vector<std::string>{*h1});
}
