// Result masking's promise, over the agent's real result masker (no sockets): for any byte
// stream from the database, fed in pieces of any size, under detector rules chosen by the
// input, no value a rule's detector fires on reaches the client in a row (DataRow), a COPY row
// (CopyData), an error or notice, or a notification payload. Each such message the masker lets
// through is scanned again here with the rules' detectors: they must find nothing.
//
// Left out: FunctionCallResponse (the statement guard refuses fast-path reads of values), and
// the error and notice fields that carry no data (severity, SQLSTATE, position, source file,
// line and routine), which the masker keeps as they are.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/enforcement/policy_holder.h"
#include "agent/postgres/result_masker.h"
#include "common/masking/detectors.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"
#include "spdlog/spdlog.h"

namespace {

using namespace warden;

struct Choice {
  const char* yaml;
  v1::Detector detector;
};
constexpr Choice kRules[] = {
    {"  - {name: cards, detectors: [credit_card], strategy: partial, keep_last: 4}\n",
     v1::DETECTOR_CREDIT_CARD},
    {"  - {name: emails, detectors: [email], strategy: redact}\n", v1::DETECTOR_EMAIL},
    {"  - {name: ssn, detectors: [us_ssn], strategy: \"null\"}\n", v1::DETECTOR_US_SSN},
    {"  - {name: keys, detectors: [aws_access_key, jwt], strategy: hash}\n",
     v1::DETECTOR_AWS_ACCESS_KEY},
    {"  - {name: ibans, detectors: [iban], strategy: redact}\n", v1::DETECTOR_IBAN},
};

bool Fires(const std::vector<v1::Detector>& detectors, std::string_view value) {
  std::vector<masking::Span> spans;
  for (v1::Detector d : detectors) {
    masking::FindDetectorSpans(d, value, spans);
    if (!spans.empty()) return true;
  }
  return false;
}

// The fields of an ErrorResponse or NoticeResponse that carry no data.
bool NoDataField(char code) {
  return code == 'S' || code == 'V' || code == 'C' || code == 'P' || code == 'p' || code == 'F' ||
         code == 'L' || code == 'R';
}

void CheckToClient(std::string_view message, const std::vector<v1::Detector>& detectors) {
  auto r = pgwire::DecodeBackend(message);
  if (!r.has_message()) return;  // passed as the server framed it; nothing decodable to scan
  if (const auto* row = std::get_if<pgwire::DataRow>(&r.message())) {
    for (const auto& v : row->columns) {
      if (v && Fires(detectors, *v)) __builtin_trap();
    }
  } else if (const auto* copy = std::get_if<pgwire::CopyData>(&r.message())) {
    if (Fires(detectors, copy->data)) __builtin_trap();
  } else if (const auto* e = std::get_if<pgwire::ErrorResponse>(&r.message())) {
    for (const auto& f : e->fields) {
      if (!NoDataField(f.code) && Fires(detectors, f.value)) __builtin_trap();
    }
  } else if (const auto* n = std::get_if<pgwire::NoticeResponse>(&r.message())) {
    for (const auto& f : n->fields) {
      if (!NoDataField(f.code) && Fires(detectors, f.value)) __builtin_trap();
    }
  } else if (const auto* a = std::get_if<pgwire::NotificationResponse>(&r.message())) {
    if (Fires(detectors, a->payload)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static bool quiet = (spdlog::set_level(spdlog::level::off), true);
  (void)quiet;
  const uint8_t bits = data[0] | 1;  // at least one rule
  const size_t piece = 1 + data[1];
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);

  std::string yaml =
      "name: fuzz\nsubjects: {groups: [ai]}\nconnections: [demo]\ndefault_action: allow\n"
      "masking:\n";
  std::vector<v1::Detector> detectors;
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (bits & (1u << i)) {
      yaml += kRules[i].yaml;
      detectors.push_back(kRules[i].detector);
      if (kRules[i].detector == v1::DETECTOR_AWS_ACCESS_KEY) detectors.push_back(v1::DETECTOR_JWT);
    }
  }
  auto parsed = policy::ParsePolicyYaml(yaml, "fuzz.yaml");
  if (!parsed.ok()) __builtin_trap();  // the generated policies are all valid
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(1);
  *snap->add_policies() = *parsed;
  agent::PolicyHolder holder;
  holder.Install(snap);
  agent::ResultMasker masker(holder, policy::Subject{"claude", {"ai"}, "demo"}, "ses_fuzz");

  std::string to_client;
  while (!in.empty()) {
    const std::string_view chunk = in.substr(0, piece);
    in.remove_prefix(chunk.size());
    if (!masker.Backend(chunk, &to_client).ok()) break;  // the session ends here
  }
  // Whole messages as the client frames them; a trailing partial one is a message the masker
  // streams (it holds every message it masks until it is whole).
  std::string_view rest = to_client;
  while (rest.size() >= pgwire::kHeaderSize) {
    const uint32_t len = pgwire::LoadBigEndian32(rest.data() + 1);
    if (len < 4) __builtin_trap();
    if (rest.size() - 1 < len) break;
    CheckToClient(rest.substr(0, 1 + len), detectors);
    rest.remove_prefix(1 + len);
  }
  if (!rest.empty() && std::string_view("DdENA").find(rest[0]) != std::string_view::npos) {
    __builtin_trap();  // a message that can carry values went out before it was whole
  }
  return 0;
}
