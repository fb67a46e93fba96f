#include "controlplane/outbound.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace warden::controlplane {

namespace {

struct EasyFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyFree>;
using List = std::unique_ptr<curl_slist, ListFree>;

Easy NewEasy(const char* protocols, std::chrono::milliseconds timeout) {
  InitOutbound();
  Easy c(curl_easy_init());
  if (!c) return c;
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  return c;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

struct Upload {
  const std::string* data;
  size_t sent = 0;
};

size_t ReadUpload(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t len = std::min(size * n, u->data->size() - u->sent);
  std::memcpy(buf, u->data->data() + u->sent, len);
  u->sent += len;
  return len;
}

absl::Status Failed(const char* what, CURLcode rc, const char* detail) {
  return absl::UnavailableError(
      absl::StrCat(what, ": ", detail[0] != '\0' ? detail : curl_easy_strerror(rc)));
}

}  // namespace

void InitOutbound() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::Status PostJson(const std::string& url, const std::string& body,
                      const std::vector<std::string>& headers, std::chrono::milliseconds timeout) {
  Easy c = NewEasy("http,https", timeout);
  if (!c) return absl::InternalError("cannot start an HTTP request");
  List list(curl_slist_append(nullptr, "Content-Type: application/json"));
  for (const std::string& h : headers) list.reset(curl_slist_append(list.release(), h.c_str()));
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, error);
  if (CURLcode rc = curl_easy_perform(c.get()); rc != CURLE_OK) {
    return Failed("POST failed", rc, error);
  }
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    return absl::UnavailableError(absl::StrCat("the receiver answered HTTP ", status));
  }
  return absl::OkStatus();
}

absl::Status SendMail(const std::string& smtp_url, const std::string& from,
                      const std::vector<std::string>& to, const std::string& message,
                      std::chrono::milliseconds timeout) {
  Easy c = NewEasy("smtp,smtps", timeout);
  if (!c) return absl::InternalError("cannot start an SMTP session");
  List rcpt;
  for (const std::string& r : to) rcpt.reset(curl_slist_append(rcpt.release(), r.c_str()));
  Upload upload{&message};
  char error[CURL_ERROR_SIZE] = "";
  const std::string envelope_from = absl::StrCat("<", from, ">");
  curl_easy_setopt(c.get(), CURLOPT_URL, smtp_url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, envelope_from.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &upload);
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, error);
  if (CURLcode rc = curl_easy_perform(c.get()); rc != CURLE_OK) {
    return Failed("sending mail failed", rc, error);
  }
  return absl::OkStatus();
}

}  // namespace warden::controlplane
