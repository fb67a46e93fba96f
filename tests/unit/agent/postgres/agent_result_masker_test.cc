// The agent's result masker: values in DataRow, COPY OUT, error and notice texts and NOTIFY
// payloads are masked by content detectors before they leave the agent; everything else passes
// byte for byte, and a message split anywhere gives the same output.
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/postgres/result_masker.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"

using namespace warden;
using agent::ResultMasker;
using pgwire::FieldDescription;

namespace {

constexpr char kMaskingPolicy[] = R"(
name: masking
subjects: {groups: [ai-agents]}
connections: [demo]
default_action: allow
masking:
  - name: cards
    detectors: [credit_card]
    strategy: partial
    keep_last: 4
  - name: emails
    detectors: [email]
    strategy: redact
  - name: ssn
    detectors: [us_ssn]
    strategy: "null"
)";

constexpr char kPlainPolicy[] = R"(
name: masking
subjects: {groups: [ai-agents]}
connections: [demo]
default_action: allow
)";

constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;
constexpr uint32_t kBytea = 17;
constexpr uint32_t kJsonb = 3802;

FieldDescription Column(std::string_view name, uint32_t type, int16_t format = 0) {
  FieldDescription f;
  f.name = name;
  f.type_oid = type;
  f.type_size = -1;
  f.format = format;
  return f;
}

std::string Row(const std::vector<std::optional<std::string_view>>& values) {
  return pgwire::BuildDataRow(values);
}

// A snapshot holding the one policy in `yaml`.
std::shared_ptr<v1::PolicySnapshot> SnapshotOf(const char* yaml, int64_t version = 1) {
  auto p = policy::ParsePolicyYaml(yaml, "masking.yaml");
  REQUIRE(p.ok());
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(version);
  *snap->add_policies() = *p;
  return snap;
}

struct Fixture {
  explicit Fixture(const char* yaml = kMaskingPolicy) { Install(yaml, 1); }

  void Install(const char* yaml, int64_t version) { holder.Install(SnapshotOf(yaml, version)); }

  std::string Back(std::string_view in) {
    std::string out;
    REQUIRE(masker.Backend(in, &out).ok());
    return out;
  }
  void Front(std::string_view in) { REQUIRE(masker.Frontend(in).ok()); }

  agent::PolicyHolder holder;
  agent::DecisionCounters counters;
  ResultMasker masker{holder, policy::Subject{"claude", {"ai-agents"}, "demo"}, "ses_test",
                      &counters};
};

const std::string kCard = "4111 1111 1111 1111";
const std::string kMaskedCard = "***************1111";

}  // namespace

TEST_CASE("text DataRow values are masked by content; NULL strategy gives SQL NULL") {
  Fixture f;
  std::string desc = pgwire::BuildRowDescription(
      {Column("id", kInt4), Column("contact", kText), Column("ssn", kText)});
  std::string in = desc + Row({"7", "mail customer1@example.com, card " + kCard, "123-45-6789"});
  std::string expected = desc + Row({"7", "mail ****, card " + kMaskedCard, std::nullopt});
  CHECK(f.Back(in) == expected);
  CHECK(f.masker.masked_values() == 2);
  CHECK(f.counters.Masked("masking", "cards") == 1);
  CHECK(f.counters.Masked("masking", "emails") == 1);
  CHECK(f.counters.Masked("masking", "ssn") == 1);
}

TEST_CASE("unchanged rows pass byte for byte") {
  Fixture f;
  std::string in = pgwire::BuildRowDescription({Column("id", kInt4), Column("n", kText)}) +
                   Row({"1", "nothing to see"}) + Row({"2", std::nullopt}) +
                   pgwire::BuildCommandComplete("SELECT 2") + pgwire::BuildReadyForQuery('I');
  CHECK(f.Back(in) == in);
  CHECK(f.masker.masked_values() == 0);
  CHECK(f.counters.Snapshot().masked().empty());
}

TEST_CASE("binary columns: textual types are masked in place, other types nulled or untouched") {
  Fixture f;
  std::string desc = pgwire::BuildRowDescription(
      {Column("id", kInt4, 1), Column("email", kText, 1), Column("doc", kJsonb, 1),
       Column("raw", kBytea, 1), Column("plain", kBytea, 1)});
  const std::string id("\x00\x00\x00\x2a", 4);
  const std::string jsonb = std::string(1, '\x01') + R"({"card": ")" + kCard + R"("})";
  const std::string masked_jsonb = std::string(1, '\x01') + R"({"card": ")" + kMaskedCard + R"("})";
  std::string in = desc + Row({id, "a.b@example.org", jsonb, "\x01\x02 x@example.com", "\x01\x02"});
  std::string expected = desc + Row({id, "****", masked_jsonb, std::nullopt, "\x01\x02"});
  CHECK(f.Back(in) == expected);
}

TEST_CASE("an Execute's rows are masked in the formats its Bind asked for, Describe or not") {
  Fixture f;
  CHECK(f.masker.OnIdle().empty());  // follows requests from here; content rules need no catalog
  const std::string id("\x00\x00\x00\x2a", 4);
  // A binary text[] holding an email: no way to rewrite it in its type, so NULL.
  const std::string array = std::string("\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x19", 12) +
                            std::string("\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x0d", 12) +
                            "c@example.com";
  const std::string binary = Row({id, "c@example.com", array});
  const std::string masked = Row({id, "****", std::nullopt});
  // Describe of the statement: its RowDescription says text (format 0) until Bind chooses.
  f.Front(pgwire::BuildParse("s1", "SELECT id, email, tags FROM c") +
          pgwire::BuildDescribe('S', "s1") + pgwire::BuildBind("", "s1", {}, {}, {1}) +
          pgwire::BuildExecute("") + pgwire::BuildSync());
  const std::string desc = pgwire::BuildRowDescription(
      {Column("id", kInt4), Column("email", kText), Column("tags", 1009)});
  const std::string done =
      pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
  std::string head = pgwire::BuildParseComplete() + pgwire::BuildParameterDescription({}) + desc +
                     pgwire::BuildBindComplete();
  CHECK(f.Back(head + binary + done) == head + masked + done);
  // Another statement's text rows in between, then s1 again without Describe (as pgjdbc does).
  f.Front(pgwire::BuildQuery("SELECT 'x@example.com', 1"));
  const std::string text_desc =
      pgwire::BuildRowDescription({Column("a", kText), Column("b", kInt4)});
  CHECK(f.Back(text_desc + Row({"x@example.com", "1"}) + done) ==
        text_desc + Row({"****", "1"}) + done);
  f.Front(pgwire::BuildBind("p", "s1", {}, {}, {1}) + pgwire::BuildExecute("p") +
          pgwire::BuildSync());
  CHECK(f.Back(pgwire::BuildBindComplete() + binary + done) ==
        pgwire::BuildBindComplete() + masked + done);
  // Text results asked for: the same columns are rewritten as text.
  f.Front(pgwire::BuildBind("", "s1", {}, {}, {}) + pgwire::BuildExecute("") + pgwire::BuildSync());
  CHECK(f.Back(pgwire::BuildBindComplete() + Row({"42", "c@example.com", "{c@example.com}"}) +
               done) == pgwire::BuildBindComplete() + Row({"42", "****", "{****}"}) + done);
  // A portal this session's Binds never made (a cursor DECLAREd in SQL): its format is not
  // known, so a value a detector fires on is never rewritten as if it were text.
  f.Front(pgwire::BuildExecute("cur") + pgwire::BuildSync());
  CHECK(f.Back(Row({"c@example.com"}) + done) == Row({std::nullopt}) + done);
}

TEST_CASE("a DataRow without a RowDescription is taken as text") {
  Fixture f;
  CHECK(f.Back(Row({"x@example.com"})) == Row({"****"}));
}

TEST_CASE("CopyData the server sends outside a COPY is scanned like any text, never streamed") {
  Fixture f;
  // No CopyOutResponse before it: a server breaking the protocol, split across calls.
  const std::string in = pgwire::BuildCopyData("z@example.com\n");
  std::string out = f.Back(std::string_view(in).substr(0, 7));
  CHECK(out.empty());  // held until whole, not streamed
  out += f.Back(std::string_view(in).substr(7));
  CHECK(out == pgwire::BuildCopyData("****\n"));
}

TEST_CASE("the output is the same wherever the stream is split") {
  Fixture f;
  std::string in = pgwire::BuildRowDescription({Column("id", kInt4), Column("c", kText)}) +
                   Row({"1", kCard}) + Row({"2", "plain"}) + Row({"3", std::nullopt}) +
                   pgwire::BuildCommandComplete("SELECT 3") + pgwire::BuildCopyOutResponse(0, {0}) +
                   pgwire::BuildCopyData("z@example.com\n") + pgwire::BuildCopyDone() +
                   pgwire::BuildCommandComplete("COPY 1") +
                   pgwire::BuildNoticeResponse("NOTICE", "00000", "card " + kCard) +
                   pgwire::BuildReadyForQuery('I');
  const std::string whole = f.Back(in);
  CHECK(whole.find(kCard) == std::string::npos);
  CHECK(whole.find("z@example.com") == std::string::npos);
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    Fixture g;
    std::string out = g.Back(std::string_view(in).substr(0, cut));
    out += g.Back(std::string_view(in).substr(cut));
    INFO("split at " << cut);
    REQUIRE(out == whole);
  }
  Fixture bytewise;
  std::string out;
  for (char c : in) out += bytewise.Back(std::string_view(&c, 1));
  CHECK(out == whole);
}

TEST_CASE("COPY OUT text rows are masked; a NULL rule redacts its span") {
  Fixture f;
  std::string head = pgwire::BuildCopyOutResponse(0, {0, 0, 0});
  std::string tail = pgwire::BuildCopyDone() + pgwire::BuildCommandComplete("COPY 1") +
                     pgwire::BuildReadyForQuery('I');
  std::string in =
      head + pgwire::BuildCopyData("c@example.com\t" + kCard + "\t123-45-6789\n") + tail;
  std::string expected = head + pgwire::BuildCopyData("****\t" + kMaskedCard + "\t****\n") + tail;
  CHECK(f.Back(in) == expected);
  CHECK(f.counters.Masked("masking", "ssn") == 1);
}

TEST_CASE("binary COPY OUT is refused while content masking is on") {
  Fixture f;
  std::string in = pgwire::BuildCopyOutResponse(1, {1}) + pgwire::BuildCopyData("PGCOPY\n") +
                   pgwire::BuildCopyData(kCard) + pgwire::BuildCopyDone() +
                   pgwire::BuildCommandComplete("COPY 1") + pgwire::BuildReadyForQuery('I');
  std::string out = f.Back(in);
  CHECK(out == pgwire::BuildErrorResponse("ERROR", "42501",
                                          "binary COPY is not allowed while masking is on",
                                          std::nullopt, "Use COPY in text or CSV format.") +
                   pgwire::BuildReadyForQuery('I'));
  // The session goes on: the next result is masked as usual.
  CHECK(f.Back(Row({kCard})) == Row({kMaskedCard}));

  Fixture plain(kPlainPolicy);
  CHECK(plain.Back(in) == in);

  // A notice in the middle is masked and passes; the refusal goes on after it.
  std::string notice = pgwire::BuildNoticeResponse("NOTICE", "00000", "card " + kCard);
  std::string with_notice = pgwire::BuildCopyOutResponse(1, {1}) + notice +
                            pgwire::BuildCopyData(kCard) + pgwire::BuildCopyDone() +
                            pgwire::BuildCommandComplete("COPY 1");
  out = f.Back(with_notice);
  CHECK(out.find(kCard) == std::string::npos);
  CHECK(out.find("card " + kMaskedCard) != std::string::npos);
  CHECK(out.find("COPY 1") == std::string::npos);
}

TEST_CASE("error and notice texts are masked, except fields that carry no data") {
  Fixture f;
  pgwire::ErrorResponse err;
  err.fields = {{'S', "ERROR"},
                {'C', "22P02"},
                {'M', "invalid input syntax for type integer: \"x@example.com\""},
                {'D', "card " + kCard},
                {'W', "PL/pgSQL function f() line 3 at RAISE with 123-45-6789"},
                {'P', "8"}};
  pgwire::ErrorResponse masked_err;
  masked_err.fields = {{'S', "ERROR"},
                       {'C', "22P02"},
                       {'M', "invalid input syntax for type integer: \"****\""},
                       {'D', "card " + kMaskedCard},
                       {'W', "PL/pgSQL function f() line 3 at RAISE with ****"},
                       {'P', "8"}};
  CHECK(f.Back(pgwire::BuildMessage(err)) == pgwire::BuildMessage(masked_err));

  std::string notice = pgwire::BuildNoticeResponse("NOTICE", "00000", "card " + kCard);
  CHECK(f.Back(notice) == pgwire::BuildNoticeResponse("NOTICE", "00000", "card " + kMaskedCard));
  std::string harmless = pgwire::BuildNoticeResponse("NOTICE", "00000", "table exists");
  CHECK(f.Back(harmless) == harmless);
}

TEST_CASE("NOTIFY payloads are masked, the channel kept") {
  Fixture f;
  CHECK(f.Back(pgwire::BuildNotificationResponse(42, "cards", kCard)) ==
        pgwire::BuildNotificationResponse(42, "cards", kMaskedCard));
  CHECK(f.counters.Masked("masking", "cards") == 1);
}

TEST_CASE("the rules follow the policy version at statement boundaries") {
  Fixture f(kPlainPolicy);
  CHECK(f.Back(Row({kCard})) == Row({kCard}));
  f.Install(kMaskingPolicy, 2);
  CHECK(f.Back(pgwire::BuildReadyForQuery('I')) == pgwire::BuildReadyForQuery('I'));
  CHECK(f.Back(Row({kCard})) == Row({kMaskedCard}));
  f.Install(kPlainPolicy, 3);
  f.Back(pgwire::BuildReadyForQuery('I'));
  CHECK(f.Back(Row({kCard})) == Row({kCard}));
}

constexpr char kHashPolicy[] = R"(
name: masking
subjects: {groups: [ai-agents]}
connections: [demo]
default_action: allow
masking:
  - name: emails
    detectors: [email]
    strategy: hash
)";

TEST_CASE("a hash rule without a masking key redacts") {
  Fixture f(kHashPolicy);
  CHECK(f.Back(Row({"id x@example.com"})) == Row({"id ****"}));
}

TEST_CASE("a hash rule hashes with the masking key that came with the snapshot") {
  agent::PolicyHolder holder;
  auto snap = SnapshotOf(kHashPolicy);
  auto mask = [&](const std::string& key, std::string_view value) {
    holder.Install(snap, key);
    ResultMasker m{holder, policy::Subject{"claude", {"ai-agents"}, "demo"}, "ses_hash"};
    std::string out;
    REQUIRE(m.Backend(Row({value}), &out).ok());
    return out;
  };
  const std::string key(32, 'k');
  std::string a = mask(key, "x@example.com");
  CHECK(a.find("x@example.com") == std::string::npos);
  CHECK(a.find("****") == std::string::npos);
  CHECK(mask(key, "x@example.com") == a);                   // deterministic across sessions
  CHECK(mask(key, "y@example.com") != a);                   // a different value, a different hash
  CHECK(mask(std::string(32, 'o'), "x@example.com") != a);  // keyed
}

TEST_CASE("policies that do not apply to the subject do not mask") {
  agent::PolicyHolder holder;
  holder.Install(SnapshotOf(kMaskingPolicy));
  ResultMasker other{holder, policy::Subject{"bob", {"analysts"}, "demo"}, "ses_other"};
  std::string out;
  REQUIRE(other.Backend(Row({kCard}), &out).ok());
  CHECK(out == Row({kCard}));
}

TEST_CASE("a malformed DataRow ends the stream instead of passing") {
  Fixture f;
  std::string bad = Row({kCard});
  bad[6] = '\x05';  // claims five columns
  std::string out;
  CHECK_FALSE(f.masker.Backend(bad, &out).ok());
  CHECK(out.find(kCard) == std::string::npos);
}
