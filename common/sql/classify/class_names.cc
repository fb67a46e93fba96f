// The statement classes' names, for logs, test data and what an approver reads.
#include "common/sql/classify/classifier.h"

namespace warden::sql {

std::string_view ClassName(v1::StatementClass c) {
  switch (c) {
    case v1::STATEMENT_CLASS_READ:
      return "read";
    case v1::STATEMENT_CLASS_WRITE:
      return "write";
    case v1::STATEMENT_CLASS_DDL:
      return "ddl";
    case v1::STATEMENT_CLASS_DCL:
      return "dcl";
    case v1::STATEMENT_CLASS_TCL:
      return "tcl";
    case v1::STATEMENT_CLASS_SESSION:
      return "session";
    case v1::STATEMENT_CLASS_ADMIN:
      return "admin";
    case v1::STATEMENT_CLASS_OPAQUE:
      return "opaque";
    case v1::STATEMENT_CLASS_UNKNOWN:
      return "unknown";
    default:
      return "unspecified";
  }
}

}  // namespace warden::sql
