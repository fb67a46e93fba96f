// Strict, position-aware readers over yaml-cpp nodes for the policy parser (internal to
// common/policy). Every failure is an InvalidArgumentError formatted
// "<file>:<line>:<column>: <field path>: <problem>" so that a user can jump to the spot.
//
// yaml-cpp caveat: assigning one YAML::Node to another *rewrites the referenced node* instead of
// rebinding the handle, so this code only ever copy-constructs nodes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace warden::policy::internal {

// One key/value pair of a mapping; the key node is kept for its position.
struct YamlField {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// A scalar list item together with where it came from.
struct YamlItem {
  std::string value;
  YAML::Node node;
  std::string path;
};

// A mapping whose keys were checked: all scalar, unique, and from the allowed set.
class YamlMap {
 public:
  YamlMap(YAML::Node node, std::string path) : node_(node), path_(std::move(path)) {}

  // The field for `key`, or nullptr when the key is absent or its value is null.
  const YamlField* Find(std::string_view key) const;
  // The field for `key` even when its value is null; nullptr when absent.
  const YamlField* FindAny(std::string_view key) const;
  // Field path of a key of this mapping, e.g. "rules[1]" + "action" -> "rules[1].action".
  std::string Child(std::string_view key) const;

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

 private:
  friend class YamlReader;
  YAML::Node node_;
  std::string path_;
  std::vector<YamlField> fields_;
};

// Reads typed values out of a parsed document, naming `filename` in errors.
class YamlReader {
 public:
  explicit YamlReader(std::string_view filename) : filename_(filename) {}

  // Errors. A null mark (yaml-cpp gives one for some failures) is reported as 1:1.
  absl::Status Error(const YAML::Mark& mark, std::string_view path, std::string_view problem) const;
  absl::Status Error(const YAML::Node& at, std::string_view path, std::string_view problem) const;
  // A yaml-cpp exception, under the field path "yaml".
  absl::Status Error(const YAML::Exception& e) const;

  // The one document in `text`. Errors: YAML syntax (path "yaml"); no document or a null one,
  // or more than one document (path "document"). Never throws.
  absl::StatusOr<YAML::Node> LoadOneDocument(std::string_view text) const;

  // Checks that `node` is a mapping whose keys are unique strings from `allowed`.
  absl::StatusOr<YamlMap> Map(const YAML::Node& node, std::string path,
                              std::span<const std::string_view> allowed) const;
  // The field for `key`; an error naming the key when it is absent or null.
  absl::StatusOr<const YamlField*> Required(const YamlMap& map, std::string_view key) const;

  // A scalar as a string (no NUL bytes).
  absl::StatusOr<std::string> String(const YAML::Node& node, std::string_view path) const;
  // A plain (unquoted) true/false.
  absl::StatusOr<bool> Bool(const YAML::Node& node, std::string_view path) const;
  // A plain (unquoted) decimal integer within [min, max].
  absl::StatusOr<uint32_t> Uint(const YAML::Node& node, std::string_view path, uint32_t min,
                                uint32_t max) const;
  // A sequence of scalars; each item keeps its node and path ("connections[2]").
  absl::StatusOr<std::vector<YamlItem>> StringList(const YAML::Node& node,
                                                   std::string_view path) const;

 private:
  std::string filename_;
};

// Debian's Abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0),
// which does not convert implicitly from std::string_view; this bridges the two for StrCat.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// `value` quoted and C-escaped for an error message, truncated if long.
std::string Quote(std::string_view value);

// "a mapping", "a list", "the scalar \"x\"" or "null", for "expected ..., got ..." messages.
std::string DescribeNode(const YAML::Node& node);

// Levenshtein distance: insertions, deletions and substitutions of one byte each.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` by edit distance, if it is a plausible typo (distance at
// most 2, and less than the word's length); empty otherwise.
std::string_view Suggest(std::string_view word, std::span<const std::string_view> candidates);

// "a, b, c"
std::string JoinNames(std::span<const std::string_view> names);

}  // namespace warden::policy::internal
