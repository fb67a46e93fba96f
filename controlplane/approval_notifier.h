// Tells the outside world of every change to an approval request: signed JSON events to
// webhooks, a message to Slack incoming webhooks, and a mail to the approvers who may decide a
// new request (admin tokens with role approver, named by the request's approvers, with an
// --email; never the requester). Payloads: approval_events.h.
//
// It watches the queue (which calls it under its lock, in store order) and only queues there:
// each destination has its own worker thread, which sends in order, retries a failed delivery
// with back-off (the same delivery id each time) and gives up after the last attempt with a
// warning. A receiver that is down or hangs delays nobody else: not the approvals, not the
// other destinations.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/approval_queue.h"
#include "controlplane/store/token_store.h"
#include "warden/v1/approval.pb.h"

namespace warden::controlplane {

struct NotifyOptions {
  std::vector<std::string> webhooks;  // JSON events, signed with webhook_secret
  std::string webhook_secret;         // required with webhooks
  std::vector<std::string> slack_webhooks;
  std::string smtp_url;                     // smtp://host:port; empty: no mail
  std::string smtp_from;                    // the sender address
  std::chrono::milliseconds timeout{5000};  // per attempt
  int attempts = 5;
  std::chrono::milliseconds first_retry{500};  // doubled after each failed attempt
  size_t max_queued = 1000;                    // per destination; the oldest go first

  bool any() const { return !webhooks.empty() || !slack_webhooks.empty() || !smtp_url.empty(); }
};

class ApprovalNotifier {
 public:
  ApprovalNotifier(ApprovalQueue& queue, store::AdminTokenStore& admins, NotifyOptions opts);
  ~ApprovalNotifier();
  ApprovalNotifier(const ApprovalNotifier&) = delete;
  ApprovalNotifier& operator=(const ApprovalNotifier&) = delete;

 private:
  enum class Kind { kWebhook, kSlack, kMail };
  struct Delivery {
    std::string event;
    std::string id;  // the same on every attempt
    v1::ApprovalRequest request;
  };
  struct Destination {
    Kind kind;
    std::string target;  // URL
    std::string shown;   // scheme://host:port only: a Slack URL's path, a user:password are secrets
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Delivery> queue;
    bool stop = false;
    std::thread worker;
  };
  void Run(Destination& d);
  absl::Status Send(const Destination& d, const Delivery& delivery);
  // The addresses of the approvers who may decide `r`.
  std::vector<std::string> Approvers(const v1::ApprovalRequest& r);

  ApprovalQueue& queue_;
  store::AdminTokenStore& admins_;
  const NotifyOptions opts_;
  std::vector<std::unique_ptr<Destination>> destinations_;
  int watch_ = -1;
  uint64_t sequence_ = 0;  // under the queue's lock (the watcher)
};

}  // namespace warden::controlplane
