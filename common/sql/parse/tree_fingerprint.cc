#include "common/sql/parse/tree_fingerprint.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <unordered_map>
#include <vector>

#include "pg_query/pg_query.pb.h"

namespace warden::sql {

namespace {

// FNV-1a, 64 bits: stable across processes and builds (a fingerprint in one agent's log must
// match another's), unlike absl::Hash, which is seeded per process.
struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void Bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 0x100000001b3ull;
    }
  }
  template <typename T>
  void Value(T v) {
    Bytes(&v, sizeof v);
  }
};

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

void HashMessage(const Message& m, Fnv* h);

void HashField(const Message& m, const FieldDescriptor* f, int i, Fnv* h) {
  const auto* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      HashMessage(rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f), h);
      return;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, i, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      h->Value(s.size());
      h->Bytes(s.data(), s.size());
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      h->Value(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      h->Value(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      h->Value(rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      h->Value(rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f));
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      h->Value(rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f));
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      h->Value(rep ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f));
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      h->Value(rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f));
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      h->Value(rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f));
      return;
  }
}

// What the hash reads of one message type: its plain fields and its oneofs (a Node is one oneof
// of some 250 members; asking each for presence, as Reflection::ListFields does, would cost
// more than the parse), without positions.
struct TypeInfo {
  bool constant = false;  // A_Const: hashed as "a constant", whatever its value
  std::vector<const FieldDescriptor*> plain;
  std::vector<const google::protobuf::OneofDescriptor*> oneofs;
};

const TypeInfo& InfoFor(const google::protobuf::Descriptor* d) {
  // Per thread, so no lock: a few hundred entries at most, built as types are first met.
  thread_local std::unordered_map<const google::protobuf::Descriptor*, TypeInfo> infos;
  auto [it, added] = infos.try_emplace(d);
  if (!added) return it->second;
  TypeInfo& info = it->second;
  info.constant = d->name() == "A_Const";
  for (int i = 0; i < d->oneof_decl_count(); ++i) info.oneofs.push_back(d->oneof_decl(i));
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr) continue;
    if (f->name() == "location" || f->name() == "stmt_location" || f->name() == "stmt_len") {
      continue;
    }
    info.plain.push_back(f);
  }
  return info;
}

void HashPresent(const Message& m, const FieldDescriptor* f, Fnv* h) {
  h->Value(f->number());
  if (f->is_repeated()) {
    const int n = m.GetReflection()->FieldSize(m, f);
    h->Value(n);
    for (int i = 0; i < n; ++i) HashField(m, f, i, h);
  } else {
    HashField(m, f, 0, h);
  }
}

// Field numbers say which node and member each value is (a Node's oneof member names the node
// type), so the shape is hashed without type names. Positions and constants are left out.
void HashMessage(const Message& m, Fnv* h) {
  const TypeInfo& info = InfoFor(m.GetDescriptor());
  if (info.constant) {
    h->Value(uint32_t{0xC0C0});
    return;
  }
  const auto* r = m.GetReflection();
  for (const auto* o : info.oneofs) {
    if (const FieldDescriptor* f = r->GetOneofFieldDescriptor(m, o)) HashPresent(m, f, h);
  }
  for (const FieldDescriptor* f : info.plain) {
    if (f->is_repeated()
            ? r->FieldSize(m, f) == 0
            : f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !r->HasField(m, f)) {
      continue;
    }
    HashPresent(m, f, h);
  }
}

}  // namespace

uint64_t TreeFingerprint(const pg_query::ParseResult& tree) {
  Fnv h;
  HashMessage(tree, &h);
  return h.h;
}
}  // namespace warden::sql
