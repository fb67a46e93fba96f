#include "agent/postgres/catalog_loader.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "common/pgwire/pgwire.h"
#include "common/pgwire/reader.h"

namespace warden::agent {

using pgwire::kHeaderSize;

std::string CatalogLoader::Start(std::string_view sql, std::string_view what) {
  StartExtended(what, 0);
  std::string message;
  pgwire::Encode(pgwire::Query{sql}, &message);
  return message;
}

void CatalogLoader::StartExtended(std::string_view what, size_t closes) {
  Clear();
  in_flight_ = true;
  what_ = std::string(what);
  closes_ = closes;
}

void CatalogLoader::Clear() {
  server_failed_ = false;
  status_ = absl::OkStatus();
  rows_.clear();
  rows_.shrink_to_fit();
}

bool CatalogLoader::OnMessage(std::string_view message) {
  const char tag = message[0];
  const std::string_view body = message.substr(kHeaderSize);
  switch (tag) {
    case 'A':  // asynchronous: the client's
    case 'S':
    case 'N':
      return false;
    case 'D': {
      if (!status_.ok()) return true;
      if (rows_.size() >= MaskingCatalog::kMaxRows) {
        status_ = absl::ResourceExhaustedError(
            absl::StrCat(what_, " returned more than ", MaskingCatalog::kMaxRows, " rows"));
        return true;
      }
      pgwire::BodyReader r('D', body);
      size_t n = 0;
      CatalogRow row;
      absl::Status st = r.ReadCount16("columns", 4, &n);
      for (size_t i = 0; st.ok() && i < n; ++i) {
        std::optional<std::string_view> v;
        st = r.ReadNullableBytes(&v);
        row.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
      }
      if (st.ok()) st = r.Finish();
      if (!st.ok()) {
        status_ = st;
      } else {
        rows_.push_back(std::move(row));
      }
      return true;
    }
    case 'E': {
      auto m = pgwire::ParseBackend(pgwire::Frame{tag, body});
      const auto* e = m.ok() ? std::get_if<pgwire::ErrorResponse>(&*m) : nullptr;
      std::string why = "malformed ErrorResponse";
      if (e) why = std::string(e->Find('M').value_or("no message"));
      status_ = absl::UnavailableError(absl::StrCat(what_, " failed: ", why));
      if (closes_ > 0) {
        // Nothing more of ours comes: the server now skips to the client's Sync.
        server_failed_ = true;
        in_flight_ = false;
      }
      return true;
    }
    case '3':  // CloseComplete
      if (closes_ > 0 && --closes_ == 0) in_flight_ = false;
      return true;
    case 'Z':
      in_flight_ = false;
      return true;
    default:  // RowDescription, CommandComplete, ParseComplete, BindComplete
      return true;
  }
}

}  // namespace warden::agent
