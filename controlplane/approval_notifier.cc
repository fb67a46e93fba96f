#include "controlplane/approval_notifier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/token.h"
#include "common/log/log.h"
#include "controlplane/approval_events.h"
#include "controlplane/outbound.h"
#include "controlplane/store/database.h"

namespace warden::controlplane {

namespace {

const char* KindName(int kind) {
  static constexpr const char* kNames[] = {"webhook", "Slack webhook", "mail"};
  return kNames[kind];
}

// scheme://host[:port] of a URL, without user, password, path or query.
std::string ShownUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "(a URL)";
  size_t host = scheme + 3;
  const size_t end = url.find_first_of("/?#", host);
  const std::string authority = url.substr(host, end == std::string::npos ? end : end - host);
  const size_t at = authority.rfind('@');
  return url.substr(0, host) + (at == std::string::npos ? authority : authority.substr(at + 1));
}

template <typename List>
bool Contains(const List& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

ApprovalNotifier::ApprovalNotifier(ApprovalQueue& queue, store::AdminTokenStore& admins,
                                   NotifyOptions opts)
    : queue_(queue), admins_(admins), opts_(std::move(opts)) {
  auto add = [this](Kind kind, const std::string& target) {
    auto d = std::make_unique<Destination>();
    d->kind = kind;
    d->target = target;
    d->shown = ShownUrl(target);
    Destination* raw = d.get();
    d->worker = std::thread([this, raw] { Run(*raw); });
    destinations_.push_back(std::move(d));
  };
  for (const std::string& url : opts_.webhooks) add(Kind::kWebhook, url);
  for (const std::string& url : opts_.slack_webhooks) add(Kind::kSlack, url);
  if (!opts_.smtp_url.empty()) add(Kind::kMail, opts_.smtp_url);
  if (destinations_.empty()) return;
  // Deliveries are ids of their own: a receiver tells a retry from a new event by it.
  const std::string prefix = absl::StrCat("dlv_", crypto::GeneratePublicId(""));
  watch_ = queue_.Watch([this, prefix](const v1::ApprovalRequest& r) {
    const std::string event = ApprovalEvent(r);
    const std::string id = absl::StrCat(prefix, "_", ++sequence_);
    for (const auto& d : destinations_) {
      // Approvers are mailed what waits for them; the rest of the story goes to the hooks.
      if (d->kind == Kind::kMail && event != "approval.raised") continue;
      std::lock_guard<std::mutex> lock(d->mu);
      if (d->queue.size() >= opts_.max_queued) {
        spdlog::warn("{} {}: {} events wait; dropping the oldest", KindName(int(d->kind)), d->shown,
                     d->queue.size());
        d->queue.pop_front();
      }
      d->queue.push_back({event, id, r});
      d->cv.notify_one();
    }
  });
}

ApprovalNotifier::~ApprovalNotifier() {
  if (watch_ >= 0) queue_.Unwatch(watch_);
  for (const auto& d : destinations_) {
    {
      std::lock_guard<std::mutex> lock(d->mu);
      d->stop = true;
    }
    d->cv.notify_all();
  }
  for (const auto& d : destinations_) d->worker.join();
}

void ApprovalNotifier::Run(Destination& d) {
  std::unique_lock<std::mutex> lock(d.mu);
  for (;;) {
    d.cv.wait(lock, [&] { return d.stop || !d.queue.empty(); });
    if (d.stop) return;
    Delivery delivery = std::move(d.queue.front());
    d.queue.pop_front();
    auto wait = opts_.first_retry;
    for (int attempt = 1;; ++attempt) {
      lock.unlock();
      absl::Status st = Send(d, delivery);
      lock.lock();
      if (st.ok() || d.stop) break;
      if (attempt >= opts_.attempts) {
        spdlog::warn("{} {}: giving up on {} of {} after {} attempts: {}", KindName(int(d.kind)),
                     d.shown, delivery.event, delivery.request.id(), attempt, st.message());
        break;
      }
      spdlog::info("{} {}: {} of {} failed ({}); retrying in {} ms", KindName(int(d.kind)), d.shown,
                   delivery.event, delivery.request.id(), st.message(), wait.count());
      if (d.cv.wait_for(lock, wait, [&] { return d.stop; })) return;
      wait *= 2;
    }
  }
}

absl::Status ApprovalNotifier::Send(const Destination& d, const Delivery& delivery) {
  const int64_t now = store::NowUnix();
  switch (d.kind) {
    case Kind::kWebhook: {
      const std::string body = EventBody(delivery.event, delivery.id, now, delivery.request);
      return PostJson(
          d.target, body,
          {absl::StrCat("Warden-Event: ", delivery.event),
           absl::StrCat("Warden-Delivery: ", delivery.id),
           absl::StrCat("Warden-Signature: ", SignatureHeader(opts_.webhook_secret, now, body))},
          opts_.timeout);
    }
    case Kind::kSlack:
      return PostJson(d.target, SlackPayload(delivery.event, delivery.request), {}, opts_.timeout);
    case Kind::kMail: {
      std::vector<std::string> to = Approvers(delivery.request);
      if (to.empty()) return absl::OkStatus();  // nobody to tell has an address
      return SendMail(d.target, opts_.smtp_from, to,
                      ApprovalMail(opts_.smtp_from, to, now, delivery.request), opts_.timeout);
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ApprovalNotifier::Approvers(const v1::ApprovalRequest& r) {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<v1::AdminTokenInfo>> tokens = admins_.List();
  if (!tokens.ok()) return out;
  for (const v1::AdminTokenInfo& t : *tokens) {
    if (t.revoked_unix() != 0 || t.email().empty() || t.identity() == r.identity() ||
        !Contains(t.roles(), "approver")) {
      continue;
    }
    const bool named = Contains(r.approver_identities(), t.identity()) ||
                       std::any_of(t.groups().begin(), t.groups().end(),
                                   [&](const auto& g) { return Contains(r.approver_groups(), g); });
    if (named && !Contains(out, t.email())) out.push_back(t.email());
  }
  return out;
}

}  // namespace warden::controlplane
