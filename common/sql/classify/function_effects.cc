#include "common/sql/classify/function_effects.h"

#include <algorithm>
#include <array>

namespace warden::sql {
namespace {

// Sorted, for binary search.
constexpr auto kWritesData = std::to_array<std::string_view>({
    "lo_creat",
    "lo_create",
    "lo_from_bytea",
    "lo_put",
    "lo_truncate",
    "lo_truncate64",
    "lo_unlink",
    "lowrite",
    "nextval",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_advisory_unlock",
    "pg_advisory_unlock_all",
    "pg_advisory_unlock_shared",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_logical_emit_message",
    "pg_notify",
    "pg_replication_origin_advance",
    "pg_replication_origin_create",
    "pg_replication_origin_drop",
    "pg_replication_origin_session_reset",
    "pg_replication_origin_session_setup",
    "pg_replication_origin_xact_reset",
    "pg_replication_origin_xact_setup",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "setval",
});

constexpr auto kAdministers = std::to_array<std::string_view>({
    "dblink",
    "dblink_build_sql_delete",
    "dblink_build_sql_insert",
    "dblink_build_sql_update",
    "dblink_cancel_query",
    "dblink_close",
    "dblink_connect",
    "dblink_connect_u",
    "dblink_disconnect",
    "dblink_exec",
    "dblink_fetch",
    "dblink_open",
    "dblink_send_query",
    "lo_export",
    "lo_import",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_cancel_backend",
    "pg_copy_logical_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_create_physical_replication_slot",
    "pg_create_restore_point",
    "pg_drop_replication_slot",
    "pg_file_rename",
    "pg_file_sync",
    "pg_file_unlink",
    "pg_file_write",
    "pg_import_system_collations",
    "pg_log_backend_memory_contexts",
    "pg_logdir_ls",
    "pg_ls_archive_statusdir",
    "pg_ls_dir",
    "pg_ls_logdir",
    "pg_ls_logicalmapdir",
    "pg_ls_logicalsnapdir",
    "pg_ls_replslotdir",
    "pg_ls_tmpdir",
    "pg_ls_waldir",
    "pg_promote",
    "pg_read_binary_file",
    "pg_read_file",
    "pg_reload_conf",
    "pg_replication_slot_advance",
    "pg_rotate_logfile",
    "pg_stat_file",
    "pg_stat_reset",
    "pg_stat_reset_replication_slot",
    "pg_stat_reset_shared",
    "pg_stat_reset_single_function_counters",
    "pg_stat_reset_single_table_counters",
    "pg_stat_reset_slru",
    "pg_stat_reset_subscription_stats",
    "pg_switch_wal",
    "pg_terminate_backend",
    "pg_wal_replay_pause",
    "pg_wal_replay_resume",
    "set_config",
});

bool In(const auto& sorted, std::string_view name) {
  return std::binary_search(sorted.begin(), sorted.end(), name);
}

}  // namespace

FunctionEffect EffectOfFunction(std::string_view name) {
  constexpr std::string_view kCatalog = "pg_catalog.";
  if (name.substr(0, kCatalog.size()) == kCatalog) name.remove_prefix(kCatalog.size());
  if (In(kAdministers, name)) return FunctionEffect::kAdministers;
  if (In(kWritesData, name)) return FunctionEffect::kWritesData;
  return FunctionEffect::kNone;
}

v1::StatementClass RaiseClass(v1::StatementClass c, FunctionEffect e) {
  switch (e) {
    case FunctionEffect::kAdministers:
      return c == v1::STATEMENT_CLASS_OPAQUE || c == v1::STATEMENT_CLASS_UNKNOWN
                 ? c
                 : v1::STATEMENT_CLASS_ADMIN;
    case FunctionEffect::kWritesData:
      return c == v1::STATEMENT_CLASS_READ || c == v1::STATEMENT_CLASS_TCL ||
                     c == v1::STATEMENT_CLASS_SESSION
                 ? v1::STATEMENT_CLASS_WRITE
                 : c;
    case FunctionEffect::kNone:
      return c;
  }
  return c;
}

}  // namespace warden::sql
