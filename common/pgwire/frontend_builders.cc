#include "common/pgwire/frontend_builders.h"

#include "common/pgwire/writer.h"

// Layouts: https://www.postgresql.org/docs/15/protocol-message-formats.html
namespace warden::pgwire {
namespace {

void AddFormats(MessageWriter& w, const std::vector<int16_t>& formats) {
  w.AddInt16(static_cast<int16_t>(formats.size()));
  for (int16_t f : formats) w.AddInt16(f);
}

void AddValues(MessageWriter& w, const std::vector<std::optional<std::string_view>>& values) {
  w.AddInt16(static_cast<int16_t>(values.size()));
  for (const auto& v : values) w.AddNullableBytes(v);
}

}  // namespace

void Encode(const Query& m, std::string* out) { EncodeOneString('Q', m.sql, out); }

void Encode(const Parse& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('P');
  w.AddCString(m.name);
  w.AddCString(m.query);
  w.AddInt16(static_cast<int16_t>(m.param_types.size()));
  for (uint32_t oid : m.param_types) w.AddUint32(oid);
  w.End();
}

void Encode(const Bind& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('B');
  w.AddCString(m.portal);
  w.AddCString(m.statement);
  AddFormats(w, m.param_formats);
  AddValues(w, m.params);
  AddFormats(w, m.result_formats);
  w.End();
}

static void EncodeKindAndName(char tag, char kind, std::string_view name, std::string* out) {
  MessageWriter w(out);
  w.Begin(tag);
  w.AddUint8(static_cast<uint8_t>(kind));
  w.AddCString(name);
  w.End();
}

void Encode(const Describe& m, std::string* out) { EncodeKindAndName('D', m.kind, m.name, out); }
void Encode(const Close& m, std::string* out) { EncodeKindAndName('C', m.kind, m.name, out); }

void Encode(const Execute& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('E');
  w.AddCString(m.portal);
  w.AddInt32(m.max_rows);
  w.End();
}

void Encode(const Flush&, std::string* out) { EncodeEmpty('H', out); }
void Encode(const Sync&, std::string* out) { EncodeEmpty('S', out); }
void Encode(const Terminate&, std::string* out) { EncodeEmpty('X', out); }

void Encode(const CopyFail& m, std::string* out) { EncodeOneString('f', m.message, out); }

void Encode(const FunctionCall& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('F');
  w.AddUint32(m.function_oid);
  AddFormats(w, m.arg_formats);
  AddValues(w, m.args);
  w.AddInt16(m.result_format);
  w.End();
}

void Encode(const PasswordMessage& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('p');
  w.AddBytes(m.data);
  w.End();
}

void EncodeFrontend(const FrontendMessage& m, std::string* out) {
  std::visit([out](const auto& v) { Encode(v, out); }, m);
}

std::string BuildQuery(std::string_view sql) { return BuildMessage(Query{sql}); }
std::string BuildParse(std::string_view name, std::string_view query,
                       const std::vector<uint32_t>& param_types) {
  return BuildMessage(Parse{name, query, param_types});
}
std::string BuildBind(std::string_view portal, std::string_view statement,
                      const std::vector<int16_t>& param_formats,
                      const std::vector<std::optional<std::string_view>>& params,
                      const std::vector<int16_t>& result_formats) {
  return BuildMessage(Bind{portal, statement, param_formats, params, result_formats});
}
std::string BuildDescribe(char kind, std::string_view name) {
  return BuildMessage(Describe{kind, name});
}
std::string BuildExecute(std::string_view portal, int32_t max_rows) {
  return BuildMessage(Execute{portal, max_rows});
}
std::string BuildClose(char kind, std::string_view name) { return BuildMessage(Close{kind, name}); }
std::string BuildFlush() { return BuildMessage(Flush{}); }
std::string BuildSync() { return BuildMessage(Sync{}); }
std::string BuildTerminate() { return BuildMessage(Terminate{}); }
std::string BuildCopyFail(std::string_view message) { return BuildMessage(CopyFail{message}); }
std::string BuildFunctionCall(uint32_t function_oid, const std::vector<int16_t>& arg_formats,
                              const std::vector<std::optional<std::string_view>>& args,
                              int16_t result_format) {
  return BuildMessage(FunctionCall{function_oid, arg_formats, args, result_format});
}

std::string BuildPasswordMessage(std::string_view password) {
  std::string out;
  EncodeOneString('p', password, &out);
  return out;
}

std::string BuildSASLInitialResponse(std::string_view mechanism,
                                     std::optional<std::string_view> data) {
  std::string out;
  MessageWriter w(&out);
  w.Begin('p');
  w.AddCString(mechanism);
  w.AddNullableBytes(data);
  w.End();
  return out;
}

std::string BuildSASLResponse(std::string_view data) { return BuildMessage(PasswordMessage{data}); }

}  // namespace warden::pgwire
