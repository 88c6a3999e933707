//! Passwords never appear in monomig's output: URLs inside any text shown to
//! the user have their password replaced by `***`, the way SQLAlchemy renders
//! `URL.render_as_string(hide_password=True)`, and so have the values of query
//! options that carry secrets (`?password=...`, `&sslpassword=...`).

/// Replace the password of every `scheme://user:password@...` in `text` with `***`,
/// and the value of every secret query option (`?password=...`, `&passwd=...`,
/// `&sslpassword=...`: see [`crate::db::url::is_secret_key`]).
///
/// Mirrors SQLAlchemy's URL pattern: the user name runs up to the first `:`
/// or `/`, the password from that `:` up to the next `@`.
pub fn mask_password(text: &str) -> String {
    mask_query_secrets(&mask_userinfo(text))
}

/// The value of `key=value` right after a `?` or `&`, when `key` names a secret, up to
/// the next `&`, `#`, whitespace or quote.
fn mask_query_secrets(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr2(b'?', b'&', &bytes[i..]) {
        let key_start = i + off + 1;
        let key_len = bytes[key_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            .count();
        let eq = key_start + key_len;
        i = key_start;
        if key_len == 0 || bytes.get(eq) != Some(&b'=') || !crate::db::url::is_secret_key(&text[key_start..eq]) {
            continue;
        }
        let value_start = eq + 1;
        let value_len = bytes[value_start..]
            .iter()
            .take_while(|b| !(b.is_ascii_whitespace() || matches!(b, b'&' | b'#' | b'"' | b'\'' | b'<' | b'>')))
            .count();
        if value_len == 0 {
            continue;
        }
        out.push_str(&text[copied..value_start]);
        out.push_str("***");
        copied = value_start + value_len;
        i = copied;
    }
    out.push_str(&text[copied..]);
    out
}

fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    // The first '@' at or after an offset, remembered: the offsets asked for only grow, so
    // every byte is searched once and long texts without '@' stay linear.
    let mut at_cache: Option<(usize, Option<usize>)> = None;
    let mut next_at = |from: usize| -> Option<usize> {
        if let Some((f0, r0)) = at_cache
            && from >= f0
            && r0.is_none_or(|r| r >= from)
        {
            return r0;
        }
        let r = text[from..].find('@').map(|i| from + i);
        at_cache = Some((from, r));
        r
    };
    while let Some(pos) = text[rest..].find("://") {
        let tail = rest + pos + 3;
        out.push_str(&text[rest..tail]);
        let user_end = text[tail..].find([':', '/']).map_or(text.len(), |i| tail + i);
        if text[user_end..].starts_with(':')
            && let Some(pw_end) = next_at(user_end + 1)
        {
            out.push_str(&text[tail..user_end + 1]);
            out.push_str("***");
            rest = pw_end;
            continue;
        }
        rest = tail;
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::mask_password;

    #[test]
    fn masks_passwords_only() {
        assert_eq!(
            mask_password("postgresql://u:s3cr%40t@h:5432/db"),
            "postgresql://u:***@h:5432/db"
        );
        assert_eq!(mask_password("mysql+pymysql://u@h/db"), "mysql+pymysql://u@h/db");
        assert_eq!(mask_password("sqlite:///var/x.db"), "sqlite:///var/x.db");
        assert_eq!(mask_password("a://u:p@h b://v:q@i"), "a://u:***@h b://v:***@i");
        assert_eq!(mask_password("plain text"), "plain text");
        assert_eq!(mask_password("x://u:p/q@h"), "x://u:***@h");
        assert_eq!(mask_password("a://u:p b://v:q@i"), "a://u:***@i");
        assert_eq!(mask_password("a://u:p@h@i"), "a://u:***@h@i");
        assert_eq!(mask_password("a://u:p"), "a://u:p");
        assert_eq!(mask_password("a://u:p a://"), "a://u:p a://");
    }

    #[test]
    fn masks_secret_query_options() {
        assert_eq!(
            mask_password("postgresql://u@h/db?password=s3cret&sslmode=require"),
            "postgresql://u@h/db?password=***&sslmode=require"
        );
        assert_eq!(
            mask_password("x: mysql://u:p@h/db?a=1&passwd=s3&sslpassword=s4 next"),
            "x: mysql://u:***@h/db?a=1&passwd=***&sslpassword=*** next"
        );
        assert_eq!(mask_password("'pg://h/db?token=abc'"), "'pg://h/db?token=***'");
        assert_eq!(mask_password("a?password=&b"), "a?password=&b");
        assert_eq!(mask_password("?passwordx"), "?passwordx");
        assert_eq!(mask_password("é?pwd=é&x"), "é?pwd=***&x");
    }

    #[test]
    fn linear_without_at_signs() {
        // Many "://" and ':' with no '@': each '@' search must not rescan the text.
        let text = "x://u:".repeat(200_000);
        let t0 = std::time::Instant::now();
        assert_eq!(mask_password(&text), text);
        assert!(t0.elapsed() < std::time::Duration::from_secs(10));
    }
}
