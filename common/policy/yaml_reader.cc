#include "common/policy/yaml_reader.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"

namespace warden::policy::internal {
namespace {

// Values quoted in messages are cut here so a 1 MiB scalar cannot become a 1 MiB message.
constexpr size_t kMaxQuotedBytes = 64;
// yaml-cpp marks a scalar written in quotes (or with the "!" tag) with this tag.
constexpr std::string_view kQuotedTag = "!";

// Keys made of identifier characters go into field paths as they are; anything else quoted.
std::string PathKey(std::string_view key) {
  const bool plain =
      !key.empty() && key.size() <= kMaxQuotedBytes &&
      std::all_of(key.begin(), key.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      });
  return plain ? std::string(key) : Quote(key);
}

bool IsQuoted(const YAML::Node& node) { return node.Tag() == kQuotedTag; }

// Records where each document of a stream starts, building nothing.
//
// Why not YAML::LoadAll: in yaml-cpp 0.7 it loops forever, allocating, when a document starts
// with a token the parser cannot place, such as a lone ',' (jbeder/yaml-cpp#1040, fixed
// upstream by #1319 after 0.7): HandleNextDocument then reports an empty document without
// consuming input. Counting documents with this handler lets us stop at the second one and
// notice when no input was consumed; the first document is then built with YAML::Load, which
// handles exactly one document.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Quote(std::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat("\"", absl::CHexEscape(Av(value)), "\"");
  return absl::StrCat("\"", absl::CHexEscape(Av(value.substr(0, kMaxQuotedBytes))), "...\"");
}

std::string DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return absl::StrCat("the scalar ", Quote(node.Scalar()));
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

std::string_view Suggest(std::string_view word, std::span<const std::string_view> candidates) {
  if (word.size() > kMaxQuotedBytes) return {};
  std::string_view best;
  size_t best_distance = std::min<size_t>(3, word.size());
  for (std::string_view candidate : candidates) {
    const size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string JoinNames(std::span<const std::string_view> names) {
  return absl::StrJoin(names, ", ", [](std::string* out, std::string_view s) { out->append(s); });
}

const YamlField* YamlMap::FindAny(std::string_view key) const {
  for (const YamlField& f : fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

const YamlField* YamlMap::Find(std::string_view key) const {
  const YamlField* f = FindAny(key);
  return (f == nullptr || f->value.IsNull()) ? nullptr : f;
}

std::string YamlMap::Child(std::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", Av(key));
}

absl::Status YamlReader::Error(const YAML::Mark& mark, std::string_view path,
                               std::string_view problem) const {
  const int line = mark.is_null() ? 1 : std::max(mark.line, 0) + 1;
  const int column = mark.is_null() ? 1 : std::max(mark.column, 0) + 1;
  return absl::InvalidArgumentError(absl::StrCat(filename_, ":", line, ":", column, ": ",
                                                 Av(path.empty() ? "document" : path), ": ",
                                                 Av(problem)));
}

absl::Status YamlReader::Error(const YAML::Node& at, std::string_view path,
                               std::string_view problem) const {
  return Error(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), path, problem);
}

absl::Status YamlReader::Error(const YAML::Exception& e) const {
  // yaml-cpp 0.7 reports its nesting limit with the message "bad file".
  if (const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&e); deep != nullptr) {
    return Error(e.mark, "yaml", absl::StrCat("nested too deeply (limit ", deep->depth(), ")"));
  }
  // Some messages quote input bytes (e.g. "unknown escape character: \0"): keep them printable.
  std::string problem;
  for (const unsigned char c : e.msg) {
    if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&problem, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      problem.push_back(static_cast<char>(c));
    }
  }
  return Error(e.mark, "yaml", problem);
}

absl::StatusOr<YAML::Node> YamlReader::LoadOneDocument(std::string_view text) const {
  const std::string copy(text);
  try {
    std::istringstream in(copy);
    YAML::Parser parser(in);
    DocumentStarts documents;
    while (documents.starts.size() < 2 && parser.HandleNextDocument(documents)) {
    }
    const std::vector<YAML::Mark>& starts = documents.starts;
    if (starts.size() == 2 && starts[0].pos == starts[1].pos) {
      const size_t pos = static_cast<size_t>(std::max(starts[0].pos, 0));
      return Error(starts[0], "yaml",
                   absl::StrCat("unexpected ", Quote(text.substr(std::min(pos, text.size()), 1))));
    }
    if (starts.size() == 2) {
      return Error(starts[1], "document",
                   "holds more than one YAML document (\"---\"); put one policy in each file");
    }
    YAML::Node root = YAML::Load(copy);
    if (starts.empty() || root.IsNull()) return Error(YAML::Mark(), "document", "is empty");
    return root;
  } catch (const YAML::Exception& e) {
    return Error(e);
  } catch (const std::exception& e) {
    return Error(YAML::Mark(), "yaml", absl::StrCat("cannot parse: ", e.what()));
  }
}

absl::StatusOr<YamlMap> YamlReader::Map(const YAML::Node& node, std::string path,
                                        std::span<const std::string_view> allowed) const {
  if (!node.IsMap())
    return Error(node, path, absl::StrCat("expected a mapping, got ", DescribeNode(node)));
  YamlMap map(node, std::move(path));
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key(it->first);
    const YAML::Node value(it->second);
    if (!key.IsScalar()) {
      return Error(key, map.path(), absl::StrCat("keys must be strings, got ", DescribeNode(key)));
    }
    const std::string& name = key.Scalar();
    const std::string child = map.Child(PathKey(name));
    if (const YamlField* first = map.FindAny(name); first != nullptr) {
      return Error(key, child,
                   absl::StrCat("duplicate key (first given at line ",
                                first->key_node.Mark().line + 1, ")"));
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string problem = "unknown field";
      if (std::string_view guess = Suggest(name, allowed); !guess.empty()) {
        absl::StrAppend(&problem, "; did you mean \"", Av(guess), "\"?");
      }
      absl::StrAppend(&problem, " (expected one of: ", JoinNames(allowed), ")");
      return Error(key, child, problem);
    }
    map.fields_.push_back(YamlField{name, key, value});
  }
  return map;
}

absl::StatusOr<const YamlField*> YamlReader::Required(const YamlMap& map,
                                                      std::string_view key) const {
  const YamlField* f = map.FindAny(key);
  if (f == nullptr) return Error(map.node(), map.Child(key), "required field is missing");
  if (f->value.IsNull()) return Error(f->key_node, map.Child(key), "required field is empty");
  return f;
}

absl::StatusOr<std::string> YamlReader::String(const YAML::Node& node,
                                               std::string_view path) const {
  if (!node.IsScalar())
    return Error(node, path, absl::StrCat("expected a string, got ", DescribeNode(node)));
  const std::string& s = node.Scalar();
  if (s.find('\0') != std::string::npos) return Error(node, path, "contains a NUL byte");
  return s;
}

absl::StatusOr<bool> YamlReader::Bool(const YAML::Node& node, std::string_view path) const {
  constexpr absl::string_view kExpected = "expected a boolean (true or false), got ";
  if (!node.IsScalar()) return Error(node, path, absl::StrCat(kExpected, DescribeNode(node)));
  const std::string& s = node.Scalar();
  if (IsQuoted(node)) {
    return Error(node, path, absl::StrCat(kExpected, "the quoted string ", Quote(s)));
  }
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return Error(node, path, absl::StrCat(kExpected, Quote(s)));
}

absl::StatusOr<uint32_t> YamlReader::Uint(const YAML::Node& node, std::string_view path,
                                          uint32_t min, uint32_t max) const {
  const std::string expected =
      absl::StrCat("expected an integer from ", min, " to ", max, ", got ");
  if (!node.IsScalar()) return Error(node, path, absl::StrCat(expected, DescribeNode(node)));
  const std::string& s = node.Scalar();
  if (IsQuoted(node)) {
    return Error(node, path, absl::StrCat(expected, "the quoted string ", Quote(s)));
  }
  const bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (!digits) return Error(node, path, absl::StrCat(expected, Quote(s)));
  uint64_t value = 0;
  for (char c : s) {
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > max) break;  // also keeps the arithmetic from overflowing
  }
  if (value < min || value > max) return Error(node, path, absl::StrCat(expected, Quote(s)));
  return static_cast<uint32_t>(value);
}

absl::StatusOr<std::vector<YamlItem>> YamlReader::StringList(const YAML::Node& node,
                                                             std::string_view path) const {
  std::vector<YamlItem> items;
  if (node.IsNull()) return items;
  if (!node.IsSequence())
    return Error(node, path, absl::StrCat("expected a list, got ", DescribeNode(node)));
  items.reserve(node.size());
  size_t index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    const YAML::Node item(*it);
    std::string item_path = absl::StrCat(Av(path), "[", index, "]");
    absl::StatusOr<std::string> value = String(item, item_path);
    if (!value.ok()) return value.status();
    items.push_back(YamlItem{*std::move(value), item, std::move(item_path)});
  }
  return items;
}

}  // namespace warden::policy::internal
