//! libpq's password file (`PGPASSFILE`, else `~/.pgpass`), looked up with the final host,
//! port, database and user, as libpq does when the URL carries no password.

use std::path::PathBuf;

use sqlx::postgres::PgConnectOptions;

/// Split one line into its five fields, honouring `\:` and `\\`.
fn fields(line: &str) -> Option<[String; 5]> {
    let mut out: Vec<String> = Vec::with_capacity(5);
    let mut cur = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ':' if out.len() < 4 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.try_into().ok()
}

fn matches(pattern: &str, value: &str) -> bool {
    pattern == "*" || pattern == value
}

/// The password for these options, if the password file has a matching line.
pub(crate) fn lookup(o: &PgConnectOptions) -> Option<String> {
    #[allow(deprecated)]
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => std::env::home_dir()?.join(".pgpass"),
    };
    let meta = std::fs::metadata(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // libpq ignores a password file that others can read.
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    // A socket connection matches "localhost" (and, in newer libpq, the socket directory).
    let socket = o.get_socket().map(|s| s.display().to_string());
    let host = o.get_host();
    let unix = socket.is_some() || host.starts_with('/');
    let port = o.get_port().to_string();
    let user = o.get_username();
    let database = o.get_database().unwrap_or(user);
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some([h, p, d, u, pw]) = fields(line) else {
            continue;
        };
        let host_ok = if unix {
            matches(&h, "localhost") || socket.as_deref().is_some_and(|s| matches(&h, s)) || matches(&h, host)
        } else {
            matches(&h, host)
        };
        if host_ok && matches(&p, &port) && matches(&d, database) && matches(&u, user) {
            return Some(pw);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_escaped_fields() {
        let f = fields(r"db\:host:5432:*:me:pa\:ss:word").unwrap();
        assert_eq!(f[0], "db:host");
        assert_eq!(f[4], "pa:ss:word");
        assert!(fields("a:b:c").is_none());
    }
}
