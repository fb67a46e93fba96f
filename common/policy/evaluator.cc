// Policy evaluation; the semantics are documented in evaluator.h. The per-statement work only
// walks the rules and compares strings; strings for the Decision are built once, for the
// statement that decided the batch.
#include "common/policy/evaluator.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/policy/glob.h"

namespace warden::policy {
namespace {

using v1::Action;
using v1::Policy;
using v1::Rule;
using v1::RuleMatch;
using v1::StatementClass;

// Restrictiveness: allow < require_approval < deny. Anything else (UNSPECIFIED, values from a
// newer enum) is treated as deny: fail closed.
enum Rank { kAllow = 0, kApproval = 1, kDeny = 2 };

Rank RankOf(Action a) {
  switch (a) {
    case v1::ACTION_ALLOW:
      return kAllow;
    case v1::ACTION_REQUIRE_APPROVAL:
      return kApproval;
    default:
      return kDeny;
  }
}

Action ActionOf(Rank r) {
  switch (r) {
    case kAllow:
      return v1::ACTION_ALLOW;
    case kApproval:
      return v1::ACTION_REQUIRE_APPROVAL;
    case kDeny:
      break;
  }
  return v1::ACTION_DENY;
}

// What decided one statement, without any strings built yet.
struct Verdict {
  enum Kind { kRule, kDefault, kReadOnly };
  Rank rank = kDeny;
  Kind kind = kDefault;
  const Policy* policy = nullptr;
  const Rule* rule = nullptr;  // for kRule
};

template <typename Container>
bool Contains(const Container& values, std::string_view v) {
  return !v.empty() && std::find(values.begin(), values.end(), v) != values.end();
}

bool AnyObjectMatches(const google::protobuf::RepeatedPtrField<std::string>& globs,
                      const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    for (const std::string& glob : globs) {
      if (ObjectGlobMatch(glob, name)) return true;
    }
  }
  return false;
}

// The tag, or any command nested in the statement (a DELETE in a CTE, EXPLAIN ANALYZE's
// statement, ...).
bool CommandMatches(const RuleMatch& m, const sql::ClassifiedStatement& s) {
  if (Contains(m.commands(), s.command_tag)) return true;
  for (const std::string& c : s.commands) {
    if (Contains(m.commands(), c)) return true;
  }
  return false;
}

bool ClassMatches(const RuleMatch& m, const sql::ClassifiedStatement& s) {
  for (int c : m.classes()) {
    if (c == s.statement_class) return true;
    if (c == v1::STATEMENT_CLASS_OPAQUE && s.opaque) return true;
  }
  return false;
}

bool RuleMatches(const RuleMatch& m, const sql::ClassifiedStatement& s) {
  if (m.without_where() && !s.without_where) return false;
  if (!m.commands().empty() && !CommandMatches(m, s)) return false;
  if (!m.classes().empty() && !ClassMatches(m, s)) return false;
  if (!m.relations().empty() && !AnyObjectMatches(m.relations(), s.relations_read) &&
      !AnyObjectMatches(m.relations(), s.relations_written)) {
    return false;
  }
  if (!m.functions().empty() && !AnyObjectMatches(m.functions(), s.functions)) return false;
  return true;
}

// The read-only lock: READ, TCL and SESSION classes and SHOW pass; opaque code never does.
bool ReadOnlyAllows(const sql::ClassifiedStatement& s) {
  if (s.opaque) return false;
  return s.statement_class == v1::STATEMENT_CLASS_READ ||
         s.statement_class == v1::STATEMENT_CLASS_TCL ||
         s.statement_class == v1::STATEMENT_CLASS_SESSION || s.command_tag == "SHOW";
}

Verdict DecideStatement(const std::vector<const Policy*>& policies, const Policy* read_only,
                        const sql::ClassifiedStatement& s) {
  // First matching rule per rank, in policy order. The first deny settles it.
  Verdict first[3];
  bool found[3] = {false, false, false};
  for (const Policy* p : policies) {
    for (const Rule& r : p->rules()) {
      if (!RuleMatches(r.match(), s)) continue;
      Rank rank = RankOf(r.action());
      if (found[rank]) continue;
      found[rank] = true;
      first[rank] = Verdict{rank, Verdict::kRule, p, &r};
      if (rank == kDeny) return first[kDeny];
    }
  }
  if (read_only != nullptr && !ReadOnlyAllows(s)) {
    return Verdict{kDeny, Verdict::kReadOnly, read_only, nullptr};
  }
  if (found[kApproval]) return first[kApproval];
  if (found[kAllow]) return first[kAllow];

  Verdict v{kAllow, Verdict::kDefault, nullptr, nullptr};
  for (const Policy* p : policies) {
    Rank rank = RankOf(p->default_action());
    if (v.policy == nullptr || rank > v.rank) {
      v.rank = rank;
      v.policy = p;
    }
  }
  return v;
}

std::string DenyMessage(const std::string& policy, const std::string& rule,
                        const std::string& why) {
  return absl::StrCat("denied by policy \"", policy, "\" rule \"", rule, "\": ", why);
}

std::string StatementName(const sql::ClassifiedStatement& s) {
  return s.command_tag.empty() ? std::string("this statement") : s.command_tag;
}

Decision ToDecision(const Verdict& v, const sql::ClassifiedStatement& s, int index) {
  Decision d;
  d.action = ActionOf(v.rank);
  d.policy = v.policy->name();
  d.statement_index = index;
  switch (v.kind) {
    case Verdict::kRule:
      d.rule = v.rule->name();
      break;
    case Verdict::kDefault:
      d.rule = "default";
      break;
    case Verdict::kReadOnly:
      d.rule = "read-only";
      break;
  }
  if (v.rank == kAllow) return d;

  std::string why;
  if (v.kind == Verdict::kRule && !v.rule->message().empty()) {
    why = v.rule->message();
  } else if (v.kind == Verdict::kReadOnly) {
    why = absl::StrCat("read-only access: ", StatementName(s), " is not a read statement");
  } else if (v.kind == Verdict::kDefault) {
    why = v.rank == kDeny ? "no rule allows this statement and the default is deny"
                          : "no rule matches this statement and the default is "
                            "require_approval";
  } else {
    why = v.rank == kDeny ? "this statement is not allowed" : "this statement needs an approver";
  }
  if (v.rank == kDeny) {
    d.message = DenyMessage(d.policy, d.rule, why);
  } else {
    d.message =
        absl::StrCat("requires approval (policy \"", d.policy, "\" rule \"", d.rule, "\"): ", why);
  }
  return d;
}

const Policy* FirstWhere(const std::vector<const Policy*>& policies, bool (*pred)(const Policy&)) {
  for (const Policy* p : policies) {
    if (pred(*p)) return p;
  }
  return nullptr;
}

}  // namespace

std::vector<const Policy*> ApplicablePolicies(const v1::PolicySnapshot& snapshot,
                                              const Subject& subject) {
  std::vector<const Policy*> out;
  for (const Policy& p : snapshot.policies()) {
    bool who = Contains(p.subjects().identities(), subject.identity);
    for (size_t i = 0; !who && i < subject.groups.size(); ++i) {
      who = Contains(p.subjects().groups(), subject.groups[i]);
    }
    if (!who) continue;
    if (!Contains(p.connections(), subject.connection) && !Contains(p.connections(), "*")) {
      continue;
    }
    out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Policy* a, const Policy* b) { return a->name() < b->name(); });
  return out;
}

Decision Evaluate(const v1::PolicySnapshot& snapshot, const Subject& subject,
                  const sql::ClassifiedBatch& batch) {
  return Evaluate(ApplicablePolicies(snapshot, subject), subject, batch);
}

Decision Evaluate(const std::vector<const Policy*>& policies, const Subject& subject,
                  const sql::ClassifiedBatch& batch) {
  if (policies.empty()) {
    Decision d;
    d.action = v1::ACTION_DENY;
    d.rule = "no-policy";
    d.message =
        absl::StrCat("denied by rule \"no-policy\": no policy gives identity \"", subject.identity,
                     "\" access to connection \"", subject.connection, "\"");
    return d;
  }
  const Policy* read_only = FirstWhere(policies, [](const Policy& p) { return p.read_only(); });
  // Names the lock when the connection, not a policy, is read-only; built only then (this runs
  // for every statement).
  std::optional<Policy> connection_lock;
  if (read_only == nullptr && subject.connection_read_only) {
    connection_lock.emplace();
    connection_lock->set_name(absl::StrCat("connection:", subject.connection));
    read_only = &*connection_lock;
  }

  if (!batch.parsed) {
    const Policy* refuses =
        FirstWhere(policies, [](const Policy& p) { return !p.forward_unparsed(); });
    if (refuses != nullptr) {
      Decision d;
      d.action = v1::ACTION_DENY;
      d.policy = refuses->name();
      d.rule = "unparsed";
      d.message =
          DenyMessage(d.policy, d.rule,
                      batch.parse_error.empty()
                          ? std::string("the statement could not be parsed")
                          : absl::StrCat("the statement could not be parsed: ", batch.parse_error));
      return d;
    }
    // Every policy forwards unparsed text: decide it as one statement of class UNKNOWN.
    sql::ClassifiedStatement unknown;
    unknown.statement_class = v1::STATEMENT_CLASS_UNKNOWN;
    return ToDecision(DecideStatement(policies, read_only, unknown), unknown, -1);
  }

  if (batch.statements.empty()) {
    Decision d;
    d.action = v1::ACTION_ALLOW;
    d.policy = policies.front()->name();
    d.rule = "empty";
    return d;
  }

  Verdict worst;
  int worst_index = -1;
  for (size_t i = 0; i < batch.statements.size(); ++i) {
    Verdict v = DecideStatement(policies, read_only, batch.statements[i]);
    if (worst_index < 0 || v.rank > worst.rank) {
      worst = v;
      worst_index = static_cast<int>(i);
      if (worst.rank == kDeny) break;  // nothing is more restrictive; earliest deny names it
    }
  }
  return ToDecision(worst, batch.statements[worst_index], worst_index);
}

}  // namespace warden::policy
