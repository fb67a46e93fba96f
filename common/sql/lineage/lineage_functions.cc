#include "common/sql/lineage/lineage_functions.h"

#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"

namespace warden::sql::lineage {
namespace {

// PostgreSQL 15 built-ins (https://www.postgresql.org/docs/15/functions.html) whose result is
// computed from their arguments (and from clocks, randomness or session constants, which are no
// table data). Left out on purpose, so they stay unknown: functions that run SQL given as text
// (query_to_xml, table_to_xml, cursor_to_xml, ...), read large objects or files (lo_get,
// pg_read_file, ...), settings (current_setting) or the catalog (pg_get_viewdef, ...).
// Space-separated, by topic.
constexpr std::string_view kArgumentFunctions =
    // strings and binary strings
    "ascii bit_length btrim char_length character_length chr concat concat_ws convert "
    "convert_from convert_to decode encode format initcap left length lower lpad ltrim md5 "
    "normalize octet_length overlay position quote_ident quote_literal quote_nullable "
    "regexp_count regexp_instr regexp_like regexp_match regexp_matches regexp_replace "
    "regexp_split_to_array regexp_split_to_table regexp_substr repeat replace reverse right "
    "rpad rtrim sha224 sha256 sha384 sha512 split_part starts_with string_to_array "
    "string_to_table strpos substr substring to_ascii to_hex translate trim unistr upper "
    "get_byte set_byte get_bit set_bit "
    // type names called as functions (casts)
    "bool bpchar bytea char cidr date float4 float8 inet int2 int4 int8 interval json jsonb "
    "macaddr money name numeric text time timestamp timestamptz timetz uuid varchar xml "
    // numbers
    "abs acos acosd asin asind atan atan2 atan2d atand cbrt ceil ceiling cos cosd cosh cot "
    "cotd degrees div exp factorial floor gcd lcm ln log log10 min_scale mod pi power "
    "radians random round scale setseed sign sin sind sinh sqrt tan tand tanh trim_scale "
    "trunc width_bucket "
    // formatting, date and time
    "age clock_timestamp date_bin date_part date_trunc extract isfinite justify_days "
    "justify_hours justify_interval make_date make_interval make_time make_timestamp "
    "make_timestamptz now statement_timestamp timeofday timezone to_char to_date to_number "
    "to_timestamp transaction_timestamp overlaps "
    // JSON
    "array_to_json json_agg json_array_elements json_array_elements_text json_array_length "
    "json_build_array json_build_object json_each json_each_text json_extract_path "
    "json_extract_path_text json_object json_object_agg json_object_keys "
    "json_populate_record json_populate_recordset json_strip_nulls json_to_record "
    "json_to_recordset json_typeof jsonb_agg jsonb_array_elements jsonb_array_elements_text "
    "jsonb_array_length jsonb_build_array jsonb_build_object jsonb_each jsonb_each_text "
    "jsonb_extract_path jsonb_extract_path_text jsonb_insert jsonb_object jsonb_object_agg "
    "jsonb_object_keys jsonb_path_exists jsonb_path_match jsonb_path_query "
    "jsonb_path_query_array jsonb_path_query_first jsonb_populate_record "
    "jsonb_populate_recordset jsonb_pretty jsonb_set jsonb_set_lax jsonb_strip_nulls "
    "jsonb_to_record jsonb_to_recordset jsonb_typeof row_to_json to_json to_jsonb "
    // arrays and ranges
    "array_append array_cat array_dims array_fill array_length array_lower array_ndims "
    "array_position array_positions array_prepend array_remove array_replace array_to_string "
    "array_upper cardinality generate_series generate_subscripts trim_array unnest daterange "
    "int4range int8range isempty lower_inc lower_inf numrange range_merge tsrange tstzrange "
    "upper_inc upper_inf "
    // aggregates and window functions
    "array_agg avg bit_and bit_or bit_xor bool_and bool_or corr covar_pop covar_samp "
    "cume_dist dense_rank every first_value lag last_value lead max min mode nth_value ntile "
    "percent_rank percentile_cont percentile_disc rank regr_avgx regr_avgy regr_count "
    "regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy row_number stddev "
    "stddev_pop stddev_samp string_agg sum var_pop var_samp variance xmlagg "
    // text search, network, XML, misc
    "plainto_tsquery phraseto_tsquery setweight to_tsquery to_tsvector ts_headline ts_rank "
    "ts_rank_cd websearch_to_tsquery abbrev broadcast family host hostmask masklen netmask "
    "network set_masklen xmlcomment xml_is_well_formed xpath xpath_exists gen_random_uuid "
    "num_nonnulls num_nulls pg_typeof pg_sleep nextval currval lastval txid_current "
    "pg_backend_pid version current_database current_schema hashtext ";

// Functions of the list above that return a row type: their columns in FROM are unknown
// without a column definition list.
constexpr std::string_view kRowFunctions[] = {
    "json_populate_record",  "json_populate_recordset",  "json_to_record",  "json_to_recordset",
    "jsonb_populate_record", "jsonb_populate_recordset", "jsonb_to_record", "jsonb_to_recordset",
};

// ... and those that yield (key, value).
constexpr std::string_view kKeyValueFunctions[] = {"json_each", "json_each_text", "jsonb_each",
                                                   "jsonb_each_text"};

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view name) {
  for (std::string_view s : list) {
    if (s == name) return true;
  }
  return false;
}

bool IsArgumentFunction(std::string_view name) {
  static const auto* const set = [] {
    auto* names = new absl::flat_hash_set<std::string_view>();
    const absl::string_view all(kArgumentFunctions.data(), kArgumentFunctions.size());
    for (absl::string_view n : absl::StrSplit(all, ' ', absl::SkipEmpty())) {
      names->insert(std::string_view(n.data(), n.size()));
    }
    return names;
  }();
  return set->contains(name);
}

// The built-in name of `call`, or "" when it names no built-in (another schema, or a name that
// is not a plain string). The parser folds unquoted names to lower case; a quoted "Upper" is
// not pg_catalog.upper.
std::string_view BuiltinName(const pg_query::FuncCall& call) {
  const auto& parts = call.funcname();
  if (parts.empty() || parts.size() > 2) return {};
  for (const pg_query::Node& p : parts) {
    if (!p.has_string()) return {};
  }
  if (parts.size() == 2 && parts[0].string().sval() != "pg_catalog") return {};
  return parts[parts.size() - 1].string().sval();
}

}  // namespace

FunctionFlow ClassifyFunction(const pg_query::FuncCall& call) {
  const std::string_view name = BuiltinName(call);
  if (name == "count") return FunctionFlow::kNone;
  return IsArgumentFunction(name) ? FunctionFlow::kArguments : FunctionFlow::kUnknown;
}

FunctionFlow ClassifyFunctionName(std::string_view name) {
  if (const size_t dot = name.find('.'); dot != std::string_view::npos) {
    if (name.substr(0, dot) != "pg_catalog") return FunctionFlow::kUnknown;
    name.remove_prefix(dot + 1);
  }
  if (name == "count") return FunctionFlow::kNone;
  return IsArgumentFunction(name) ? FunctionFlow::kArguments : FunctionFlow::kUnknown;
}

bool FromColumnNames(const pg_query::FuncCall& call, std::vector<std::string>* names) {
  const std::string_view name = BuiltinName(call);
  if (!IsArgumentFunction(name) || In(kRowFunctions, name)) return false;
  if (In(kKeyValueFunctions, name)) {
    *names = {"key", "value"};
  } else if (name == "unnest") {
    // unnest(a, b, ...) in FROM yields one column per array, each named unnest.
    names->assign(call.args().empty() ? 1 : call.args_size(), std::string(name));
  } else {
    names->assign(1, std::string(name));
  }
  return true;
}

}  // namespace warden::sql::lineage
