#include "common/sql/parse/json_tree_reader.h"

#include <google/protobuf/io/coded_stream.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace warden::sql {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// The reader transcodes JSON into protobuf's wire format and lets the generated code parse that
// (https://protobuf.dev/programming-guides/encoding/): setting fields through reflection cost
// three times as much. A nested message's length is written as a fixed 5-byte varint
// (continuation bits on leading zero groups) and patched once the message ends; parsers accept
// such non-minimal varints, and it saves a sizing pass.
constexpr int kLengthBytes = 5;

struct MessageInfo;

struct FieldInfo {
  enum Kind : uint8_t {
    kMessage,
    kBytes,
    kBool,
    kEnum,
    kInt32,
    kInt64,
    kUInt32,
    kUInt64,
    kDouble,
    kFloat,
    kUnsupported,
  };
  Kind kind;
  uint32_t tag;                                                 // field number << 3 | wire type
  const MessageInfo* message = nullptr;                         // kMessage
  const google::protobuf::EnumDescriptor* enum_type = nullptr;  // kEnum
};

struct MessageInfo {
  absl::flat_hash_map<std::string_view, FieldInfo> fields;  // by json_name
};

// Field and enum tables for every message of pg_query.proto (all top-level), built once and then
// only read, so any thread may use them. Keys view the descriptors' own strings.
class Schema {
 public:
  static const Schema& Get() {
    static const Schema* const schema = new Schema();
    return *schema;
  }
  const MessageInfo& root() const { return messages_[root_index_]; }
  // An enum value by name, or -1 (libpg_query never prints a negative value).
  int EnumValue(const google::protobuf::EnumDescriptor* e, std::string_view name) const {
    auto it = enums_.find(std::make_pair(e, name));
    return it == enums_.end() ? -1 : it->second;
  }

 private:
  Schema() {
    const Descriptor* root = pg_query::ParseResult::descriptor();
    const FileDescriptor* file = root->file();
    messages_.resize(file->message_type_count());
    root_index_ = root->index();
    for (int i = 0; i < file->message_type_count(); ++i) {
      const Descriptor* d = file->message_type(i);
      for (int j = 0; j < d->field_count(); ++j) AddField(file, d->field(j), &messages_[i]);
    }
  }

  void AddField(const FileDescriptor* file, const FieldDescriptor* f, MessageInfo* into) {
    // By FieldDescriptor::Type: the value's kind and wire type. Fixed-width, zigzag and group
    // encodings do not occur in pg_query.proto; such a field would fail every tree using it.
    static constexpr struct {
      FieldInfo::Kind kind;
      uint32_t wire;
    } kByType[] = {
        {FieldInfo::kUnsupported, 0}, {FieldInfo::kDouble, 1},      {FieldInfo::kFloat, 5},
        {FieldInfo::kInt64, 0},       {FieldInfo::kUInt64, 0},      {FieldInfo::kInt32, 0},
        {FieldInfo::kUnsupported, 0}, {FieldInfo::kUnsupported, 0}, {FieldInfo::kBool, 0},
        {FieldInfo::kBytes, 2},       {FieldInfo::kUnsupported, 0}, {FieldInfo::kMessage, 2},
        {FieldInfo::kBytes, 2},       {FieldInfo::kUInt32, 0},      {FieldInfo::kEnum, 0},
    };
    const size_t type = static_cast<size_t>(f->type());
    FieldInfo info{type < std::size(kByType) ? kByType[type].kind : FieldInfo::kUnsupported, 0};
    info.tag = static_cast<uint32_t>(f->number()) << 3 |
               (type < std::size(kByType) ? kByType[type].wire : 0);
    if (info.kind == FieldInfo::kMessage) {
      if (f->message_type()->file() != file) return;  // not ours: its key is skipped
      info.message = &messages_[f->message_type()->index()];
    }
    if (info.kind == FieldInfo::kEnum) {
      info.enum_type = f->enum_type();
      for (int k = 0; k < f->enum_type()->value_count(); ++k) {
        const auto* v = f->enum_type()->value(k);
        enums_.emplace(std::make_pair(f->enum_type(), std::string_view(v->name())), v->number());
      }
    }
    into->fields.emplace(f->json_name(), info);
  }

  std::vector<MessageInfo> messages_;
  int root_index_ = 0;
  absl::flat_hash_map<std::pair<const google::protobuf::EnumDescriptor*, std::string_view>, int>
      enums_;
};

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

void PutVarint(uint64_t v, std::string* out) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

void PutFixed(const void* bytes, size_t n, std::string* out) {
  out->append(static_cast<const char*>(bytes), n);  // little-endian, as on x86-64 and arm64
}

// Recursive descent over the JSON, writing wire format as it goes. Recursion is one
// ReadMessage/ReadValue pair per message level, bounded by max_depth.
class Transcoder {
 public:
  Transcoder(std::string_view json, int max_depth, std::string* out)
      : p_(json.data()), end_(json.data() + json.size()), max_depth_(max_depth), out_(out) {}

  bool ReadMessage(const MessageInfo& m, int depth);
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  bool too_deep() const { return too_deep_; }

 private:
  void SkipSpace() {
    while (p_ != end_ && IsSpace(*p_)) ++p_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool ReadField(const FieldInfo& f, int depth);
  bool ReadValue(const FieldInfo& f, int depth);
  // Kept out of ReadValue so the recursive path's stack frames stay small (deep trees).
  [[gnu::noinline]] bool ReadScalar(const FieldInfo& f);
  bool ReadNumber(const FieldInfo& f);
  // A string's contents: `view` points into the input when they hold no escape (the common
  // case: keys, names), else into `scratch`.
  bool ReadString(std::string* scratch, std::string_view* view);
  bool ReadEscape(std::string* out);
  std::string_view NumberToken();
  bool SkipValue(int depth);
  bool SkipLiteral(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()))
      return false;
    p_ += word.size();
    return true;
  }
  bool Deeper(int depth) {
    if (depth <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }

  const char* p_;
  const char* const end_;
  const int max_depth_;
  std::string* const out_;
  bool too_deep_ = false;
  std::string scratch_;
};

bool Transcoder::ReadMessage(const MessageInfo& m, int depth) {
  if (!Deeper(depth) || !Consume('{')) return false;
  if (Consume('}')) return true;
  do {
    SkipSpace();
    std::string_view key;
    if (!ReadString(&scratch_, &key) || !Consume(':')) return false;
    auto it = m.fields.find(key);
    if (!(it != m.fields.end() ? ReadField(it->second, depth) : SkipValue(depth))) return false;
  } while (Consume(','));
  return Consume('}');
}

bool Transcoder::ReadField(const FieldInfo& f, int depth) {
  SkipSpace();
  if (p_ == end_ || *p_ != '[') return ReadValue(f, depth);
  ++p_;  // a repeated field: each element as its own tagged value (parsers accept it unpacked)
  if (Consume(']')) return true;
  do {
    if (!ReadValue(f, depth)) return false;
  } while (Consume(','));
  return Consume(']');
}

bool Transcoder::ReadValue(const FieldInfo& f, int depth) {
  SkipSpace();
  PutVarint(f.tag, out_);
  if (f.kind != FieldInfo::kMessage) return ReadScalar(f);
  const size_t at = out_->size();
  out_->append(kLengthBytes, '\0');
  if (!ReadMessage(*f.message, depth + 1)) return false;
  uint64_t len = out_->size() - at - kLengthBytes;
  if (len > INT32_MAX) return false;
  for (int i = 0; i < kLengthBytes; ++i, len >>= 7) {
    (*out_)[at + i] = static_cast<char>((len & 0x7f) | (i + 1 < kLengthBytes ? 0x80 : 0));
  }
  return true;
}

bool Transcoder::ReadScalar(const FieldInfo& f) {
  switch (f.kind) {
    case FieldInfo::kBytes: {
      std::string_view s;
      if (!ReadString(&scratch_, &s)) return false;
      PutVarint(s.size(), out_);
      out_->append(s);
      return true;
    }
    case FieldInfo::kBool:
      if (SkipLiteral("true")) {
        out_->push_back(1);
      } else if (SkipLiteral("false")) {
        out_->push_back(0);
      } else {
        return false;
      }
      return true;
    case FieldInfo::kEnum: {
      std::string_view name;
      if (!ReadString(&scratch_, &name)) return false;
      const int v = Schema::Get().EnumValue(f.enum_type, name);
      if (v < 0) return false;  // fail closed: an unknown value could change the meaning
      PutVarint(static_cast<uint64_t>(v), out_);
      return true;
    }
    case FieldInfo::kUnsupported:
      return false;
    default:
      return ReadNumber(f);
  }
}

bool Transcoder::ReadNumber(const FieldInfo& f) {
  const std::string_view t = NumberToken();
  const char* const e = t.data() + t.size();
  if (t.empty()) return false;
  if (f.kind == FieldInfo::kDouble || f.kind == FieldInfo::kFloat) {
    double d = 0;
    if (std::from_chars(t.data(), e, d).ptr != e) return false;
    if (f.kind == FieldInfo::kDouble) {
      PutFixed(&d, sizeof d, out_);
    } else {
      const float x = static_cast<float>(d);
      PutFixed(&x, sizeof x, out_);
    }
    return true;
  }
  // A value outside the field's range is malformed (the parser would silently truncate it).
  if (f.kind == FieldInfo::kUInt32 || f.kind == FieldInfo::kUInt64) {
    uint64_t u = 0;
    const auto r = std::from_chars(t.data(), e, u);
    if (r.ec != std::errc() || r.ptr != e) return false;
    if (f.kind == FieldInfo::kUInt32 && u > UINT32_MAX) return false;
    PutVarint(u, out_);
    return true;
  }
  int64_t v = 0;
  const auto r = std::from_chars(t.data(), e, v);
  if (r.ec != std::errc() || r.ptr != e) return false;
  if (f.kind == FieldInfo::kInt32 && (v < INT32_MIN || v > INT32_MAX)) return false;
  PutVarint(static_cast<uint64_t>(v), out_);  // negative: a 10-byte varint, as for int64
  return true;
}

bool Transcoder::ReadString(std::string* scratch, std::string_view* view) {
  if (p_ == end_ || *p_ != '"') return false;
  const char* start = ++p_;
  while (p_ != end_ && *p_ != '"' && *p_ != '\\') ++p_;
  if (p_ == end_) return false;
  if (*p_ == '"') {
    *view = std::string_view(start, p_ - start);
    ++p_;
    return true;
  }
  scratch->assign(start, p_ - start);
  while (p_ != end_ && *p_ != '"') {
    if (*p_ != '\\') {
      *scratch += *p_++;
    } else if (!ReadEscape(scratch)) {
      return false;
    }
  }
  if (p_ == end_) return false;
  ++p_;
  *view = *scratch;
  return true;
}

// https://www.json.org: \" \\ \/ \b \f \n \r \t and \uXXXX. libpg_query escapes only control
// characters with \u; other bytes (UTF-8 or not) are copied as they are.
bool Transcoder::ReadEscape(std::string* out) {
  if (end_ - p_ < 2) return false;
  const char c = p_[1];
  p_ += 2;
  static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
  if (const size_t i = kFrom.find(c); i != std::string_view::npos) {
    *out += kTo[i];
    return true;
  }
  uint32_t cp = 0;
  if (c != 'u' || end_ - p_ < 4 || std::from_chars(p_, p_ + 4, cp, 16).ptr != p_ + 4) return false;
  p_ += 4;
  AppendUtf8(cp, out);
  return true;
}

std::string_view Transcoder::NumberToken() {
  SkipSpace();
  const char* start = p_;
  while (p_ != end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '-' || *p_ == '+' || *p_ == '.' ||
                        *p_ == 'e' || *p_ == 'E')) {
    ++p_;
  }
  return std::string_view(start, p_ - start);
}

bool Transcoder::SkipValue(int depth) {
  SkipSpace();
  if (p_ == end_ || !Deeper(depth)) return false;
  std::string_view ignored;
  switch (*p_) {
    case '"':
      return ReadString(&scratch_, &ignored);
    case '{':
    case '[': {
      const char close = *p_++ == '{' ? '}' : ']';
      if (Consume(close)) return true;
      do {
        if (close == '}') {
          SkipSpace();
          if (!ReadString(&scratch_, &ignored) || !Consume(':')) return false;
        }
        if (!SkipValue(depth + 1)) return false;
      } while (Consume(','));
      return Consume(close);
    }
    case 't':
      return SkipLiteral("true");
    case 'f':
      return SkipLiteral("false");
    case 'n':
      return SkipLiteral("null");
    default:
      return !NumberToken().empty();
  }
}

}  // namespace

bool ReadJsonTree(std::string_view json, int max_depth, pg_query::ParseResult* tree,
                  std::string* error) {
  thread_local std::string wire;  // reused: its capacity stays with the thread
  wire.clear();
  Transcoder transcoder(json, max_depth, &wire);
  bool ok = transcoder.ReadMessage(Schema::Get().root(), 0) && transcoder.AtEnd();
  if (ok) {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                              static_cast<int>(wire.size()));
    in.SetRecursionLimit(max_depth + 1);
    ok = tree->ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
  }
  if (wire.capacity() > (1 << 20)) std::string().swap(wire);  // do not pin a huge buffer
  if (ok) return true;
  *error =
      transcoder.too_deep() ? "parse tree too deep to decode" : "parse tree could not be decoded";
  return false;
}

}  // namespace warden::sql
