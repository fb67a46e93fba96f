// Glob matching over names and [schema.]name patterns, as policy rules use it.
#include <catch2/catch.hpp>
#include <string>

#include "common/policy/glob.h"

using warden::policy::GlobMatch;
using warden::policy::ObjectGlobMatch;

TEST_CASE("glob: star and question mark", "[evaluator][glob]") {
  CHECK(GlobMatch("*", ""));
  CHECK(GlobMatch("*", "anything"));
  CHECK(GlobMatch("pg_read_*", "pg_read_file"));
  CHECK(GlobMatch("pg_read_*", "pg_read_"));
  CHECK_FALSE(GlobMatch("pg_read_*", "pg_rea"));
  CHECK(GlobMatch("t?", "t1"));
  CHECK_FALSE(GlobMatch("t?", "t"));
  CHECK_FALSE(GlobMatch("t?", "t12"));
  CHECK(GlobMatch("*a*b*c", "xxaxxbxxc"));
  CHECK_FALSE(GlobMatch("*a*b*c", "xxaxxcxxb"));
  CHECK(GlobMatch("exact", "exact"));
  CHECK_FALSE(GlobMatch("exact", "Exact"));
  CHECK_FALSE(GlobMatch("", "x"));
  CHECK(GlobMatch("", ""));
}

TEST_CASE("glob: pathological patterns stay fast", "[evaluator][glob]") {
  std::string text(5000, 'a');
  std::string pattern;
  for (int i = 0; i < 50; ++i) pattern += "*a";
  pattern += "b";
  CHECK_FALSE(GlobMatch(pattern, text));
}

TEST_CASE("object glob: schema-qualified patterns", "[evaluator][glob]") {
  CHECK(ObjectGlobMatch("billing.*", "billing.invoices"));
  CHECK_FALSE(ObjectGlobMatch("billing.*", "billing_old.invoices"));
  CHECK_FALSE(ObjectGlobMatch("billing.*", "public.invoices"));
  CHECK(ObjectGlobMatch("billing.inv*", "billing.invoices"));
  CHECK_FALSE(ObjectGlobMatch("billing.inv*", "billing.payments"));
  // A database-qualified name is reduced to schema.name.
  CHECK(ObjectGlobMatch("billing.*", "shop.billing.invoices"));
  CHECK(ObjectGlobMatch("shop.billing.*", "billing.invoices"));
}

TEST_CASE("object glob: a pattern without a dot matches the name in any schema",
          "[evaluator][glob]") {
  CHECK(ObjectGlobMatch("customers", "customers"));
  CHECK(ObjectGlobMatch("customers", "public.customers"));
  CHECK(ObjectGlobMatch("customers", "crm.customers"));
  CHECK_FALSE(ObjectGlobMatch("customers", "customers_archive"));
  CHECK_FALSE(ObjectGlobMatch("customers", "customers.archive"));
  CHECK(ObjectGlobMatch("pg_read_file", "pg_catalog.pg_read_file"));
}

TEST_CASE("object glob: unqualified names resolve on the default search path",
          "[evaluator][glob]") {
  CHECK(ObjectGlobMatch("*.customers", "customers"));
  CHECK(ObjectGlobMatch("*.customers", "public.customers"));
  CHECK(ObjectGlobMatch("public.customers", "customers"));
  CHECK(ObjectGlobMatch("pg_catalog.pg_read_file", "pg_read_file"));
  CHECK(ObjectGlobMatch("p*.orders", "orders"));
  // billing is not on the default search path.
  CHECK_FALSE(ObjectGlobMatch("billing.*", "invoices"));
  CHECK_FALSE(ObjectGlobMatch("public.customers", "crm.customers"));
}

// ---------------------------------------------------------------------------- applicability
