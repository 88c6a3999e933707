//! Which database a URL reaches, as a key without a password: the fleet commands lock the
//! database they resolved, and the bridge compares it with the one env.py really connected
//! to. Both sides compute the key here, from the same translation of the URL.

use super::target::{DbTarget, SqliteLocation};

/// `backend|host|port|database` for a server (the socket path stands for the host when
/// there is one; the host is compared case-insensitively), `sqlite|<resolved file path>`
/// for a SQLite file (symlinks followed when the file exists), `sqlite|:memory:` for an
/// in-memory database. User, password, TLS and driver options are left out: two URLs
/// that differ only in those reach the same database and version table.
pub fn database_identity(target: &DbTarget) -> String {
    let backend = target.backend().name();
    if let Some(location) = target.sqlite_location() {
        return match location {
            SqliteLocation::Memory => format!("{backend}|:memory:"),
            SqliteLocation::File(path) => {
                let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                format!("{backend}|{}", real.display())
            }
        };
    }
    let mut host = String::new();
    let mut port = String::new();
    let mut database = String::new();
    for (key, value) in target.describe() {
        match key {
            "socket" => host = value,
            "host" => host = value.to_lowercase(),
            "port" => port = value,
            "database" => database = value,
            _ => {}
        }
    }
    format!("{backend}|{host}|{port}|{database}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn id(url: &str) -> String {
        database_identity(&DbTarget::parse(url, Path::new("/base")).unwrap())
    }

    #[test]
    fn servers_ignore_user_password_and_driver() {
        assert_eq!(
            id("postgresql+psycopg://alice:s3cret@DB.example:5432/app"),
            id("postgresql://bob@db.example/app?sslmode=require")
        );
        assert!(!id("postgresql://u:s3cret@h/app").contains("s3cret"));
        assert_ne!(id("postgresql://h/app"), id("postgresql://h/staging"));
        assert_ne!(id("postgresql://h:5432/app"), id("postgresql://h:5433/app"));
        assert_ne!(id("postgresql://h/app"), id("mysql+pymysql://h/app"));
        assert_eq!(id("mysql+pymysql://root@127.0.0.1:3306/x"), "mysql|127.0.0.1|3306|x");
    }

    #[test]
    fn sqlite_paths_resolve_against_the_base_dir() {
        assert_eq!(id("sqlite:///var/app.db"), id("sqlite:////base/var/app.db"));
        assert_eq!(id("sqlite:///./var/../var/app.db"), "sqlite|/base/var/app.db");
        assert_ne!(id("sqlite:///a.db"), id("sqlite:///b.db"));
        assert_eq!(id("sqlite://"), "sqlite|:memory:");
    }
}
