#include "common/policy/policy_yaml_fields.h"

#include "absl/strings/ascii.h"

namespace warden::policy::internal::fields {

absl::StatusOr<warden::v1::Action> ReadAction(const YamlReader& r, const YamlField& f,
                                              const std::string& path) {
  return ReadEnum(r, f.value, path, "action", warden::v1::Action_MAX, &ActionName);
}

absl::StatusOr<std::string> ReadName(const YamlReader& r, const YamlMap& map) {
  ASSIGN_OR_RETURN(const YamlField* f, r.Required(map, "name"));
  const std::string path = map.Child("name");
  ASSIGN_OR_RETURN(std::string name, r.String(f->value, path));
  if (name.empty()) return r.Error(f->value, path, "must not be empty");
  if (name.size() > kMaxNameLength) {
    return r.Error(f->value, path, absl::StrCat("is longer than ", kMaxNameLength, " characters"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = name[i];
    const bool ok = absl::ascii_islower(c) || absl::ascii_isdigit(c) ||
                    (i > 0 && (c == '-' || c == '_' || c == '.'));
    if (!ok) {
      return r.Error(f->value, path,
                     absl::StrCat("invalid name ", Quote(name),
                                  " (use lower-case letters, digits, '-', '_' and '.', starting "
                                  "with a letter or digit)"));
    }
  }
  return name;
}

absl::StatusOr<bool> ReadOptionalBool(const YamlReader& r, const YamlMap& map, std::string_view key,
                                      bool fallback) {
  const YamlField* f = map.Find(key);
  return f == nullptr ? fallback : r.Bool(f->value, map.Child(key));
}

absl::Status ReadNames(const YamlReader& r, const YamlMap& map, std::string_view key,
                       google::protobuf::RepeatedPtrField<std::string>* out) {
  const YamlField* f = map.Find(key);
  if (f == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<YamlItem> items, r.StringList(f->value, map.Child(key)));
  for (YamlItem& item : items) {
    if (absl::StripAsciiWhitespace(item.value).empty()) {
      return r.Error(item.node, item.path, "must not be empty");
    }
    out->Add(std::move(item.value));
  }
  return absl::OkStatus();
}

}  // namespace warden::policy::internal::fields
