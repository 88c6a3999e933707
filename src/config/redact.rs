//! Passwords never appear in monomig's output: URLs inside any text shown to
//! the user have their password replaced by `***`, the way SQLAlchemy renders
//! `URL.render_as_string(hide_password=True)`.

/// Replace the password of every `scheme://user:password@...` in `text` with `***`.
///
/// Mirrors SQLAlchemy's URL pattern: the user name runs up to the first `:`
/// or `/`, the password from that `:` up to the next `@`.
pub fn mask_password(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let user_end = tail.find([':', '/']).unwrap_or(tail.len());
        if tail[user_end..].starts_with(':')
            && let Some(at) = tail[user_end + 1..].find('@')
        {
            let pw_end = user_end + 1 + at;
            out.push_str(&tail[..user_end + 1]);
            out.push_str("***");
            rest = &tail[pw_end..];
            continue;
        }
        rest = tail;
    }
    out.push_str(rest);
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
    }
}
