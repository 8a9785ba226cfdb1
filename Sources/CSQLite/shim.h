// The system SQLite (Debian's libsqlite3-dev, installed by scripts/setup.sh), behind one
// Swift type: AdvisorJournal's SQLiteConnection.
#include <sqlite3.h>
