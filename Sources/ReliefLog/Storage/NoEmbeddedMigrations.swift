// Compiled only into the fuzzing builds (RELIEFLOG_FUZZ_BUILD, see Package.swift), in place of
// the migrations the EmbedMigrations plugin generates: no fuzzing harness opens a database.

/// No migrations: this module was built for fuzzing.
let embeddedMigrationFiles: [(name: String, sql: String)] = []
