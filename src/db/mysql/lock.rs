//! MySQL/MariaDB's side of a migration lock: `GET_LOCK(name, 0)` on a dedicated
//! connection. Lock names are server-wide, so the database name is part of the name;
//! names longer than 64 characters are shortened with a hash. The holder is found with
//! `IS_USED_LOCK` and the process list. None of these statements waits.

use sqlx::mysql::MySqlConnection;

use crate::hash::fnv1a64;

/// The `GET_LOCK` name for a lock name in a database (at most 64 characters).
pub fn lock_name(lock_name: &str, database: &str) -> String {
    let full = format!("{lock_name}@{database}");
    if full.chars().count() <= 64 {
        return full;
    }
    let hash = format!("{:016x}", fnv1a64(full.as_bytes()));
    let prefix: String = full.chars().take(64 - 1 - hash.len()).collect();
    format!("{prefix}~{hash}")
}

/// The connection's current database (`DATABASE()`), the `database` part of lock names.
pub(crate) async fn current_database(conn: &mut MySqlConnection) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DATABASE()").fetch_one(conn).await
}

/// `GET_LOCK(name, 0)`: `Some(true)` when this connection now holds the lock,
/// `Some(false)` when another does, None when the server answered NULL (an error on its side).
pub(crate) async fn try_lock(conn: &mut MySqlConnection, name: &str) -> Result<Option<bool>, sqlx::Error> {
    let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
        .bind(name)
        .fetch_one(conn)
        .await?;
    Ok(got.map(|g| g == 1))
}

pub(crate) async fn unlock(conn: &mut MySqlConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT RELEASE_LOCK(?)")
        .bind(name)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Whether some connection holds the lock `name` (`IS_USED_LOCK`, which never waits).
pub(crate) async fn is_held(conn: &mut MySqlConnection, name: &str) -> Result<bool, sqlx::Error> {
    let held: i64 = sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) IS NOT NULL AS SIGNED)")
        .bind(name)
        .fetch_one(conn)
        .await?;
    Ok(held == 1)
}

/// The connection holding the lock `name`, described from the process list: its server
/// connection id, user, client host (and port) and how long it is in its current state;
/// when the client is on this machine, the pid of the process whose socket it is.
/// None when the lock is free or the server does not say.
pub(crate) async fn holder(conn: &mut MySqlConnection, name: &str) -> Option<String> {
    let id: Option<i64> = sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .ok()
        .flatten();
    let id = id?;
    type Row = (Option<String>, Option<String>, Option<i64>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT CAST(USER AS CHAR), CAST(HOST AS CHAR), CAST(TIME AS SIGNED), CAST(@@port AS SIGNED) \
         FROM information_schema.PROCESSLIST WHERE ID = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .ok()
    .flatten();
    let mut s = format!("server connection {id}");
    if let Some((user, host, time, server_port)) = row {
        if let Some(u) = user {
            s.push_str(&format!(" of user '{u}'"));
        }
        if let Some(h) = host {
            s.push_str(&format!(" from {h}"));
            if let Some(pid) = server_port
                .and_then(|p| u16::try_from(p).ok())
                .and_then(|p| local_client_pid(&h, p))
            {
                s.push_str(&format!(" (pid {pid} on this machine)"));
            }
        }
        if let Some(t) = time {
            s.push_str(&format!(", holding it for about {t} s"));
        }
    }
    Some(s)
}

/// The pid of the process on this machine that owns the TCP connection the server sees
/// as coming from `host` (`127.0.0.1:45644`, a loopback address and the client's port)
/// to its port `server_port`: the socket is found in `/proc/net/tcp{,6}` and its owner
/// among `/proc/<pid>/fd` (only processes this user may inspect). None for a client on
/// another machine or over a Unix socket, or where there is no /proc.
fn local_client_pid(host: &str, server_port: u16) -> Option<u32> {
    let (addr, port) = host.rsplit_once(':')?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let loopback = addr == "localhost"
        || addr
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.to_canonical().is_loopback());
    if !loopback {
        return None;
    }
    let client_port: u16 = port.parse().ok()?;
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"].iter().find_map(|table| {
        let text = std::fs::read_to_string(table).ok()?;
        socket_inode(&text, client_port, server_port)
    })?;
    let wanted = format!("socket:[{inode}]");
    for proc_entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = proc_entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == wanted.as_str()) {
                return Some(pid);
            }
        }
    }
    None
}

/// The inode of the socket from local port `local` to remote port `remote` in the text
/// of `/proc/net/tcp` (`sl local_address rem_address st ... inode`, ports in hex).
fn socket_inode(table: &str, local: u16, remote: u16) -> Option<u64> {
    let port_of = |addr: &str| addr.rsplit_once(':').and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 || port_of(f[1])? != local || port_of(f[2])? != remote {
            return None;
        }
        f[9].parse::<u64>().ok().filter(|&i| i != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_socket_by_ports() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 1111 1\n\
   1: 0100007F:B29C 0100007F:0CEA 01 00000000:00000000 00:00000000 00000000     0        0 4242 1\n";
        assert_eq!(socket_inode(table, 0xB29C, 3306), Some(4242));
        assert_eq!(socket_inode(table, 0xB29C, 5432), None);
        assert_eq!(local_client_pid("10.1.2.3:45644", 3306), None);
        assert_eq!(local_client_pid("localhost", 3306), None);
    }

    #[test]
    fn names_fit() {
        assert_eq!(
            lock_name("monomig:alembic_version", "test"),
            "monomig:alembic_version@test"
        );
        let long = lock_name(&"x".repeat(100), "db");
        assert_eq!(long.chars().count(), 64);
        assert_ne!(long, lock_name(&"x".repeat(101), "db"));
        let uni = lock_name(&"é".repeat(100), "db");
        assert_eq!(uni.chars().count(), 64);
    }
}
