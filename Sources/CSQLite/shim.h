#ifndef RELIEFLOG_CSQLITE_SHIM_H
#define RELIEFLOG_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: bound text and blobs are copied by SQLite.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_config is variadic, which Swift cannot call. Memory statistics off: with them on,
// every sqlite3_malloc and sqlite3_free takes one process-wide mutex, which the event loops'
// read connections and the writer then contend for (https://www.sqlite.org/c3ref/c_config_covering_index_scan.html#sqliteconfigmemstatus).
// Must run before SQLite initialises; returns SQLITE_MISUSE afterwards.
static inline int csqlite_disable_memory_statistics(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

// How large a statement journal (the original pages a savepoint may have to put back) grows in
// memory before it spills to a temporary file (https://www.sqlite.org/c3ref/c_config_covering_index_scan.html#sqliteconfigstmtjrnlspill).
// Must run before SQLite initialises; returns SQLITE_MISUSE afterwards.
static inline int csqlite_set_statement_journal_spill(int bytes) { return sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, bytes); }
#endif
