// Small helpers for absl::Status plumbing. Abseil 20220623 (Debian 12) ships
// no status macros, so the project keeps these two.
#ifndef LEDGER_STATUS_MACROS_H_
#define LEDGER_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LEDGER_CONCAT_INNER_(a, b) a##b
#define LEDGER_CONCAT_(a, b) LEDGER_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` yields a non-OK status.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status ledger_status_ = (expr);            \
    if (!ledger_status_.ok()) return ledger_status_;   \
  } while (0)

// Evaluates `rexpr` (a StatusOr); on error returns its status, otherwise
// moves the value into `lhs`, which may be a declaration.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(LEDGER_CONCAT_(ledger_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // LEDGER_STATUS_MACROS_H_
