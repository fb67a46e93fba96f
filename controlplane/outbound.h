// The control plane's outbound calls for notifications, over libcurl: an HTTP POST of a JSON
// body, and a mail through an SMTP server. Blocking, bounded by a timeout; no redirects, only
// the protocols asked for. Thread-safe (one easy handle per call).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace warden::controlplane {

// Initialises libcurl (not thread-safe itself): call once at start, before other threads run.
// The calls below do it too, for programs that did not.
void InitOutbound();

// POSTs `body` (application/json) with extra `headers` ("Name: value"). An error for a transport
// failure or an HTTP status outside 2xx (its message says which).
absl::Status PostJson(const std::string& url, const std::string& body,
                      const std::vector<std::string>& headers, std::chrono::milliseconds timeout);

// Sends `message` (a whole RFC 5322 message) from `from` to each of `to` through the SMTP server
// at `smtp_url` (smtp:// or smtps://host:port).
absl::Status SendMail(const std::string& smtp_url, const std::string& from,
                      const std::vector<std::string>& to, const std::string& message,
                      std::chrono::milliseconds timeout);

}  // namespace warden::controlplane
