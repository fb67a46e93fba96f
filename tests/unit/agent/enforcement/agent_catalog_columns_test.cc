// Catalog columns under column masking: unknown origin unless known to hold no user data.
#include <catch2/catch.hpp>

#include "agent/enforcement/catalog_columns.h"

using namespace warden::agent;

TEST_CASE("catalog relations are recognised however they are named", "[masking][catalog]") {
  CHECK(IsSystemRelation("pg_catalog", "pg_class"));
  CHECK(IsSystemRelation("", "pg_stats"));
  CHECK(IsSystemRelation("information_schema", "columns"));
  CHECK_FALSE(IsSystemRelation("", "columns"));
  CHECK_FALSE(IsSystemRelation("public", "pg_lookalike"));
}

TEST_CASE("only columns of names, OIDs, flags and counts are known safe", "[masking][catalog]") {
  for (auto [t, c] : {std::pair{"pg_class", "relname"},
                      {"pg_stats", "attname"},
                      {"pg_stat_user_tables", "n_live_tup"},
                      {"columns", "column_name"},
                      {"pg_stat_activity", "pid"}}) {
    INFO(t << "." << c);
    CHECK(CatalogColumnCarriesNoUserData(t, c));
  }
  for (auto [t, c] : {std::pair{"pg_stats", "most_common_vals"},
                      {"pg_stats", "histogram_bounds"},
                      {"pg_stat_activity", "query"},
                      {"pg_stat_activity", "application_name"},
                      {"pg_settings", "setting"},
                      {"pg_sequences", "last_value"},
                      {"pg_locks", "objid"},
                      {"pg_views", "definition"},
                      {"columns", "column_default"},
                      {"pg_largeobject", "data"},
                      {"pg_attribute", "attmissingval"},
                      {"pg_proc", "prosrc"}}) {
    INFO(t << "." << c);
    CHECK_FALSE(CatalogColumnCarriesNoUserData(t, c));
  }
}
