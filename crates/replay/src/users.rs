//! The CRM's users, read once at the start (`user.get`, `GET /api/v4/users`)
//! and looked up by id and by phone, as the connector's user cache does.

use callfull_model::User;
use callfull_world::phone::{digits, phone_key};

/// The users of a CRM, in the order it listed them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Users {
    users: Vec<User>,
}

/// The last 10 digits of a number with at least 7 digits (a national
/// number), else `None`: extensions only match exactly.
fn national(number: &str) -> Option<String> {
    (digits(number).len() >= 7).then(|| phone_key(number))
}

impl Users {
    /// The cache over `users`.
    pub fn new(users: Vec<User>) -> Self {
        Users { users }
    }

    /// Every user.
    pub fn all(&self) -> &[User] {
        &self.users
    }

    /// The user with this id.
    pub fn by_id(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The user one of whose phones is `number`: the same text, or the same
    /// last 10 digits for long numbers (a mobile in any spelling).
    pub fn by_number(&self, number: &str) -> Option<&User> {
        if number.is_empty() {
            return None;
        }
        if let Some(user) = self.users.iter().find(|u| u.phones.iter().any(|p| p == number)) {
            return Some(user);
        }
        let wanted = national(number)?;
        self.users.iter().find(|u| u.phones.iter().any(|p| national(p).as_deref() == Some(wanted.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callfull_model::Raw;

    fn user(id: &str, phones: &[&str]) -> User {
        User {
            email: String::new(),
            id: id.into(),
            name: String::new(),
            phones: phones.iter().map(|p| p.to_string()).collect(),
            position: String::new(),
            raw: Raw::default(),
        }
    }

    #[test]
    fn a_mobile_matches_in_any_spelling_an_extension_only_exactly() {
        let users = Users::new(vec![user("1", &["101", "+79161234567"]), user("2", &["1101"])]);
        assert_eq!(users.by_number("89161234567").map(|u| u.id.as_str()), Some("1"));
        assert_eq!(users.by_number("101").map(|u| u.id.as_str()), Some("1"));
        assert_eq!(users.by_number("1101").map(|u| u.id.as_str()), Some("2"));
        assert_eq!(users.by_number("01"), None);
        assert_eq!(users.by_number(""), None);
    }
}
