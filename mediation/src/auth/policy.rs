//! Password rules (pure): complexity and history. Expiry is checked at login from the time the
//! password was set.
use super::config::PasswordPolicy;

/// Longest password accepted: hashing cost must not be a lever for a denial of service.
pub const MAX_LENGTH: usize = 256;

/// Why a new password is refused; the message tells the user what to choose instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the password must have at least {0} characters")]
    TooShort(usize),
    #[error("the password must have at most {MAX_LENGTH} characters")]
    TooLong,
    #[error(
        "the password must mix at least {0} of: lower case, upper case, digits, other characters"
    )]
    TooSimple(usize),
    #[error("the password must not contain the user name")]
    ContainsUserName,
    #[error("the password must differ from the last {0} passwords")]
    Reused(usize),
    #[error("the new password must differ from the current one")]
    Unchanged,
}

/// Checks `new` for `user`. `reused(candidate)` says whether it matches one of the last
/// `policy.history` password hashes (the caller owns the hashes).
pub fn check(
    policy: &PasswordPolicy,
    user: &str,
    new: &str,
    reused: impl FnOnce(&str) -> bool,
) -> Result<(), PolicyError> {
    let n = new.chars().count();
    if n < policy.min_length {
        return Err(PolicyError::TooShort(policy.min_length));
    }
    if n > MAX_LENGTH {
        return Err(PolicyError::TooLong);
    }
    let classes = [
        new.chars().any(|c| c.is_lowercase()),
        new.chars().any(|c| c.is_uppercase()),
        new.chars().any(|c| c.is_ascii_digit()),
        new.chars()
            .any(|c| !c.is_alphanumeric() || (c.is_numeric() && !c.is_ascii_digit())),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if classes < policy.min_classes {
        return Err(PolicyError::TooSimple(policy.min_classes));
    }
    if user.chars().count() >= 3 && new.to_lowercase().contains(&user.to_lowercase()) {
        return Err(PolicyError::ContainsUserName);
    }
    if reused(new) {
        return Err(PolicyError::Reused(policy.history.max(1)));
    }
    Ok(())
}

/// Whether a password set at `set_at_s` has expired at `now_s`.
pub fn expired(policy: &PasswordPolicy, set_at_s: u64, now_s: u64) -> bool {
    policy.max_age_days > 0 && now_s >= set_at_s + u64::from(policy.max_age_days) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    #[test]
    fn complexity_rules() {
        assert_eq!(
            check(&p(), "alice", "Short1!", |_| false),
            Err(PolicyError::TooShort(12))
        );
        assert_eq!(
            check(&p(), "alice", "alllowercaseletters", |_| false),
            Err(PolicyError::TooSimple(3))
        );
        assert_eq!(
            check(&p(), "alice", "xxAlice-2026xx", |_| false),
            Err(PolicyError::ContainsUserName)
        );
        assert_eq!(
            check(&p(), "alice", &"Aa1!".repeat(70), |_| false),
            Err(PolicyError::TooLong)
        );
        assert!(check(&p(), "alice", "Correct-Horse-7", |_| false).is_ok());
        assert!(check(&p(), "alice", "correct horse 7", |_| false).is_ok());
        assert_eq!(
            check(&p(), "alice", "Correct-Horse-7", |_| true),
            Err(PolicyError::Reused(5))
        );
    }

    #[test]
    fn expiry() {
        let day = 86_400;
        assert!(!expired(&p(), 0, 89 * day));
        assert!(expired(&p(), 0, 90 * day));
        let never = PasswordPolicy {
            max_age_days: 0,
            ..p()
        };
        assert!(!expired(&never, 0, 10_000 * day));
    }
}
