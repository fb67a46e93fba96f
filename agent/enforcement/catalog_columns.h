// System catalog columns under column masking. Catalog relations are not traced to user tables,
// and some of them hold user values outright: pg_stats.most_common_vals and histogram_bounds
// (values of any column), pg_stat_activity.query and application_name (other sessions'
// literals), pg_settings.setting (custom settings), pg_sequences.last_value, pg_locks.objid
// (advisory lock keys), definitions and defaults that embed constants (pg_views.definition,
// pg_attrdef.adbin, information_schema.columns.column_default), pg_largeobject.data. So a
// result column from a catalog relation is of unknown origin (masked, like a user function's
// result) unless it is on this explicit list of columns that hold names, OIDs, types, flags,
// counts and sizes only.
#pragma once

#include <string_view>

namespace warden::agent {

// A system catalog relation: schema pg_catalog or information_schema, or an unqualified name
// starting with pg_ (pg_catalog is searched first unless a search_path lists it later).
bool IsSystemRelation(std::string_view schema, std::string_view table);

// True for a column of system relation `table` known to carry no user data.
bool CatalogColumnCarriesNoUserData(std::string_view table, std::string_view column);

// True when every column of system relation `table` carries no user data (statistics counters).
bool CatalogRelationCarriesNoUserData(std::string_view table);

}  // namespace warden::agent
