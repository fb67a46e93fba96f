// What the request ledger reads of each client request (request_ledger.h): the names and text it
// follows, read in place with the checks pgwire::ParseFrontend makes, without decoding a
// message (a Bind's parameters, a Parse's parameter types) or copying one.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace warden::agent {

// `name`: the statement (Parse, Describe 'S', Close 'S') or portal (Describe 'P', Close 'P',
// Execute); `text`: a Query's or Parse's SQL; `kind`: Describe's and Close's 'S' or 'P'.
struct RequestFields {
  std::string_view name;
  std::string_view text;
  char kind = 0;
};

// A Query, Parse, Describe, Execute or Close body (by `tag`); false when it is malformed or of
// another kind.
bool ReadRequestFields(char tag, std::string_view body, RequestFields* f);

// Bind's portal, statement and result formats, without decoding its parameters (a Bind comes
// with every extended-protocol query). False when it is malformed; looser than the decoder
// (format codes and the count of parameter formats are the server's to check: a Bind it
// rejects binds nothing).
bool ReadBindFields(std::string_view body, std::string_view* portal, std::string_view* statement,
                    std::vector<int16_t>* formats);

// Result formats that ask for text only: none, or one text code for all columns (libpq sends
// that with every query).
bool AllText(const std::vector<int16_t>& formats);

}  // namespace warden::agent
