// The system SQLite (Debian's libsqlite3-dev, installed by scripts/setup.sh), behind one
// Swift type: AdvisorJournal's SQLiteConnection.
#include <sqlite3.h>

// sqlite3_db_config is variadic, which Swift cannot call: the one option the journal sets.
// A connection that closes does not checkpoint the WAL (the next writer's automatic
// checkpoint does): a run pays one fsync, at its commit, instead of three.
static inline int advisor_sqlite_no_checkpoint_on_close(sqlite3 *db) {
  return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
