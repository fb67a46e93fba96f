// Canonical names of the policy enums (declared in policy_yaml.h). The YAML format and the
// CLI both use these, so a name printed by wardenctl can be pasted back into a policy file.
#include <optional>
#include <string_view>

#include "common/policy/policy_yaml.h"

namespace warden::policy {
namespace {

constexpr std::string_view kUnspecified = "unspecified";

// Finds the value in [1, max] whose canonical name is `name`.
template <typename E>
std::optional<E> FromName(std::string_view name, int max, std::string_view (*name_of)(E)) {
  for (int v = 1; v <= max; ++v) {
    if (name_of(static_cast<E>(v)) == name) return static_cast<E>(v);
  }
  return std::nullopt;
}

}  // namespace

std::string_view ActionName(warden::v1::Action a) {
  switch (a) {
    case warden::v1::ACTION_ALLOW:
      return "allow";
    case warden::v1::ACTION_DENY:
      return "deny";
    case warden::v1::ACTION_REQUIRE_APPROVAL:
      return "require_approval";
    default:
      return kUnspecified;
  }
}

std::string_view ClassName(warden::v1::StatementClass c) {
  switch (c) {
    case warden::v1::STATEMENT_CLASS_READ:
      return "read";
    case warden::v1::STATEMENT_CLASS_WRITE:
      return "write";
    case warden::v1::STATEMENT_CLASS_DDL:
      return "ddl";
    case warden::v1::STATEMENT_CLASS_DCL:
      return "dcl";
    case warden::v1::STATEMENT_CLASS_TCL:
      return "tcl";
    case warden::v1::STATEMENT_CLASS_SESSION:
      return "session";
    case warden::v1::STATEMENT_CLASS_ADMIN:
      return "admin";
    case warden::v1::STATEMENT_CLASS_OPAQUE:
      return "opaque";
    case warden::v1::STATEMENT_CLASS_UNKNOWN:
      return "unknown";
    default:
      return kUnspecified;
  }
}

std::string_view StrategyName(warden::v1::MaskStrategy s) {
  switch (s) {
    case warden::v1::MASK_STRATEGY_REDACT:
      return "redact";
    case warden::v1::MASK_STRATEGY_PARTIAL:
      return "partial";
    case warden::v1::MASK_STRATEGY_HASH:
      return "hash";
    case warden::v1::MASK_STRATEGY_NULL:
      return "null";
    default:
      return kUnspecified;
  }
}

std::string_view DetectorName(warden::v1::Detector d) {
  switch (d) {
    case warden::v1::DETECTOR_CREDIT_CARD:
      return "credit_card";
    case warden::v1::DETECTOR_EMAIL:
      return "email";
    case warden::v1::DETECTOR_US_SSN:
      return "us_ssn";
    case warden::v1::DETECTOR_PHONE:
      return "phone";
    case warden::v1::DETECTOR_IBAN:
      return "iban";
    case warden::v1::DETECTOR_JWT:
      return "jwt";
    case warden::v1::DETECTOR_AWS_ACCESS_KEY:
      return "aws_access_key";
    case warden::v1::DETECTOR_PRIVATE_KEY:
      return "private_key";
    default:
      return kUnspecified;
  }
}

std::optional<warden::v1::Action> ActionFromName(std::string_view name) {
  return FromName(name, warden::v1::Action_MAX, &ActionName);
}

std::optional<warden::v1::StatementClass> ClassFromName(std::string_view name) {
  return FromName(name, warden::v1::StatementClass_MAX, &ClassName);
}

std::optional<warden::v1::MaskStrategy> StrategyFromName(std::string_view name) {
  return FromName(name, warden::v1::MaskStrategy_MAX, &StrategyName);
}

std::optional<warden::v1::Detector> DetectorFromName(std::string_view name) {
  return FromName(name, warden::v1::Detector_MAX, &DetectorName);
}

std::string_view UnknownLineageName(warden::v1::UnknownLineage u) {
  switch (u) {
    case warden::v1::UNKNOWN_LINEAGE_MASK:
      return "mask";
    case warden::v1::UNKNOWN_LINEAGE_DENY:
      return "deny";
    default:
      return "unspecified";
  }
}

}  // namespace warden::policy
