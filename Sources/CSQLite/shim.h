// The system SQLite (Debian's libsqlite3-dev, installed by scripts/setup.sh; linked statically
// from libsqlite3.a, Package.swift), behind one Swift type: AdvisorJournal's SQLiteConnection.
#include <sqlite3.h>

// sqlite3_db_config is variadic, which Swift cannot call: the one option the journal sets.
// Whether closing the connection checkpoints the WAL (and, when it is the last connection to
// the file, deletes it). Off while a run works, so a run pays one fsync, at its commit, and a
// journal this advisor refuses is never checkpointed; turned on at close once the WAL has
// grown (Journal.swift, `walBytesCheckpointedAtClose`).
static inline int advisor_sqlite_checkpoint_on_close(sqlite3 *db, int checkpoint) {
  return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, checkpoint ? 0 : 1, (int *)0);
}
