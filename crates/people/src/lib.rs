//! People: adding and changing users, passwords (Argon2id), logging in with throttling,
//! server-side sessions with idle and absolute expiry, CSRF tokens, and API tokens.
//!
//! The console and the command line both call these functions; neither hashes a password or
//! checks a session itself. The store keeps only hashes: of passwords (Argon2id, PHC string),
//! of session ids and of API tokens (SHA-256: they are 256-bit random values, so a fast hash is
//! enough). Refusals are structured ([`LoginRefusal`], [`PeopleError`]); the words a person
//! reads are the console's and the CLI's.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use domain::{DistrictCode, EntityId, Role, UserId};
use sha2::Digest;
use store::{Actor, ApiToken, NewUser, Store, StoreError, User, UserChange};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Login and session limits (configurable in `wangjian.toml`, `[console]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Wrong passwords for one account within `window` that lock it.
    pub max_account_failures: i64,
    /// Wrong passwords from one client address within `window` after which it is refused.
    pub max_client_failures: i64,
    /// The window failures are counted in.
    pub window: Duration,
    /// How long a locked account stays locked.
    pub lock_for: Duration,
    /// A session unused this long has ended.
    pub idle: Duration,
    /// A session this old has ended, used or not.
    pub absolute: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_account_failures: 5,
            max_client_failures: 20,
            window: Duration::minutes(15),
            lock_for: Duration::minutes(15),
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// Why a user could not be added or changed.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("the username must be 2 to 64 letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("an inspector needs at least one district")]
    NoDistrict,
    #[error("only an inspector has districts and only an evaluator has entities")]
    ScopeOfOtherRole,
    #[error("username {0:?} is taken")]
    Taken(String),
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("no randomness: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a login was refused. A wrong password and an unknown username are one refusal, so that
/// a login form does not tell which usernames exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Unknown username or wrong password.
    BadCredentials,
    /// Too many wrong passwords: the account is locked until then.
    Locked { until: DateTime<Utc> },
    /// The account is disabled.
    Disabled,
    /// Too many wrong passwords from this client address: try again later.
    Throttled,
}

/// What a user is, as the CLI and the console's user form give it.
#[derive(Debug, Clone)]
pub struct UserSpec {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub districts: Vec<DistrictCode>,
    pub entities: Vec<EntityId>,
}

/// A session just opened: `token` goes into the cookie, and is never stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub user: User,
}

/// A live session: who, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    /// SHA-256 of the session id (to end it).
    pub id_hash: String,
}

/// 32 random bytes, base64url without padding.
pub fn random_token() -> Result<String, PeopleError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| PeopleError::Random(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// A password for a person to be handed: 16 characters from an alphabet without look-alikes
/// (56 symbols, about 90 bits from the 256 random bits drawn).
pub fn generate_password() -> Result<String, PeopleError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| PeopleError::Random(e.to_string()))?;
    // Two bytes per character keep the modulo bias below 0.1%.
    Ok(b.chunks(2)
        .map(|c| {
            let n = u16::from_be_bytes([c[0], c[1]]) as usize;
            ALPHABET[n % ALPHABET.len()] as char
        })
        .collect())
}

/// How a session id or API token is stored: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Whether two secrets are equal, in time independent of where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The Argon2id hash of a password (PHC string, the library's default parameters: 19 MiB,
/// 2 passes, 1 lane, OWASP's recommendation), after the strength check.
pub fn hash_password(password: &str) -> Result<String, PeopleError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PeopleError::WeakPassword);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PeopleError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PeopleError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PeopleError::Hash(e.to_string()))?
        .to_string())
}

/// Whether `password` matches the stored PHC hash (a malformed hash matches nothing).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the username is unknown, so that an unknown name costs as
/// long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never a user's").unwrap_or_default())
}

fn check_spec(spec: &UserSpec) -> Result<(), PeopleError> {
    let name_ok = (2..=64).contains(&spec.username.chars().count())
        && spec
            .username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !name_ok {
        return Err(PeopleError::BadUsername);
    }
    match spec.role {
        Role::Inspector if spec.districts.is_empty() => Err(PeopleError::NoDistrict),
        Role::Inspector if !spec.entities.is_empty() => Err(PeopleError::ScopeOfOtherRole),
        Role::Evaluator if !spec.districts.is_empty() => Err(PeopleError::ScopeOfOtherRole),
        Role::Inspector | Role::Evaluator => Ok(()),
        _ if !spec.districts.is_empty() || !spec.entities.is_empty() => {
            Err(PeopleError::ScopeOfOtherRole)
        }
        _ => Ok(()),
    }
}

/// Adds a user with a password (`wangjian user add`, the console's user form).
pub async fn add_user(
    store: &dyn Store,
    spec: &UserSpec,
    password: &str,
    by: &Actor,
) -> Result<User, PeopleError> {
    check_spec(spec)?;
    let password_hash = hash_password(password)?;
    let display_name = match spec.display_name.trim() {
        "" => spec.username.clone(),
        n => n.to_string(),
    };
    let new = NewUser {
        username: spec.username.clone(),
        display_name,
        role: spec.role,
        districts: spec.districts.clone(),
        entities: spec.entities.clone(),
        password_hash,
    };
    store.create_user(&new, by).await.map_err(|e| match e {
        StoreError::Conflict(_) => PeopleError::Taken(spec.username.clone()),
        e => PeopleError::Store(e),
    })
}

async fn named(store: &dyn Store, username: &str) -> Result<User, PeopleError> {
    store
        .user_by_name(username)
        .await?
        .ok_or_else(|| PeopleError::NoUser(username.to_string()))
}

/// Disables (or enables again) a user; disabling ends their sessions.
pub async fn set_disabled(
    store: &dyn Store,
    username: &str,
    disabled: bool,
    by: &Actor,
) -> Result<User, PeopleError> {
    let u = named(store, username).await?;
    Ok(store
        .change_user(u.id, &UserChange::Disabled(disabled), by)
        .await?)
}

/// Sets a new password; ends the user's sessions and lifts a lock.
pub async fn set_password(
    store: &dyn Store,
    username: &str,
    password: &str,
    by: &Actor,
) -> Result<User, PeopleError> {
    let u = named(store, username).await?;
    let hash = hash_password(password)?;
    Ok(store
        .change_user(u.id, &UserChange::Password(hash), by)
        .await?)
}

/// Gives a user another role (with its districts or entities).
pub async fn set_role(store: &dyn Store, spec: &UserSpec, by: &Actor) -> Result<User, PeopleError> {
    check_spec(spec)?;
    let u = named(store, &spec.username).await?;
    let change = UserChange::Role {
        role: spec.role,
        districts: spec.districts.clone(),
        entities: spec.entities.clone(),
    };
    Ok(store.change_user(u.id, &change, by).await?)
}

/// Checks a username and password from `client` (an address) and opens a session. Throttled
/// per client address and per account: `policy.max_account_failures` wrong passwords within
/// `policy.window` lock the account for `policy.lock_for`.
pub async fn login(
    store: &dyn Store,
    policy: &Policy,
    username: &str,
    password: &str,
    client: &str,
) -> Result<Result<NewSession, LoginRefusal>, PeopleError> {
    let now = Utc::now();
    let since = now - policy.window;
    let (_, by_client) = store.login_failures_since(username, client, since).await?;
    if by_client >= policy.max_client_failures {
        return Ok(Err(LoginRefusal::Throttled));
    }
    let found = store.user_credentials(username).await?;
    if let Some((user, _)) = &found {
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            return Ok(Err(LoginRefusal::Locked { until }));
        }
    }
    let hash = found
        .as_ref()
        .map_or(decoy_hash(), |(_, h)| h.as_str())
        .to_string();
    let pw = password.to_string();
    // Argon2 takes tens of milliseconds of CPU: off the async threads.
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    let known = found.as_ref().map(|(u, _)| u.id);
    let Some((user, _)) = found.filter(|_| ok) else {
        store.record_login_failure(username, client).await?;
        let (by_user, _) = store.login_failures_since(username, client, since).await?;
        if by_user >= policy.max_account_failures {
            if let Some(id) = known {
                let until = now + policy.lock_for;
                let by = Actor::system("login throttling");
                store
                    .change_user(id, &UserChange::LockedUntil(Some(until)), &by)
                    .await?;
                store.clear_login_failures(username).await?;
                return Ok(Err(LoginRefusal::Locked { until }));
            }
        }
        return Ok(Err(LoginRefusal::BadCredentials));
    };
    if user.disabled {
        return Ok(Err(LoginRefusal::Disabled));
    }
    store.clear_login_failures(username).await?;
    let token = random_token()?;
    let csrf = random_token()?;
    store
        .create_session(&token_hash(&token), user.id, &csrf, client)
        .await?;
    Ok(Ok(NewSession { token, csrf, user }))
}

/// The live session of a cookie's token, marked used (at most once a minute); `None` when
/// there is none, or it has ended (idle or absolute expiry, a disabled user): an ended session is deleted.
pub async fn session(
    store: &dyn Store,
    policy: &Policy,
    token: &str,
) -> Result<Option<Session>, PeopleError> {
    let id_hash = token_hash(token);
    let Some(row) = store.session(&id_hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if row.user.disabled
        || now - row.last_seen_at > policy.idle
        || now - row.created_at > policy.absolute
    {
        store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    // Marking a session used is a write; once a minute is precise enough for a 30-minute
    // idle limit and spares the database a write per page.
    if now - row.last_seen_at > Duration::seconds(60) {
        store.touch_session(&id_hash).await?;
    }
    Ok(Some(Session {
        user: row.user,
        csrf: row.csrf,
        id_hash,
    }))
}

/// Ends a session (logout).
pub async fn logout(store: &dyn Store, session: &Session) -> Result<(), PeopleError> {
    Ok(store.delete_session(&session.id_hash).await?)
}

/// Makes an API token for a user: returned once, stored only as its hash. The token acts with
/// the user's role and scope.
pub async fn create_api_token(
    store: &dyn Store,
    user: UserId,
    name: &str,
    by: &Actor,
) -> Result<(String, ApiToken), PeopleError> {
    let token = format!("wj_{}", random_token()?);
    let row = store
        .create_api_token(user, name, &token_hash(&token), by)
        .await?;
    Ok((token, row))
}

/// The user an API token (from `Authorization: Bearer`) acts as; `None` for an unknown or
/// revoked token or a disabled user.
pub async fn token_user(store: &dyn Store, token: &str) -> Result<Option<User>, PeopleError> {
    Ok(store
        .token_user(&token_hash(token))
        .await?
        .filter(|u| !u.disabled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    use store::testing::{Backend, TestDb};

    /// A store whose clock is `offset` seconds from now (sessions are stamped with it).
    async fn store_at(db: &TestDb, offset: Arc<AtomicI64>) -> Arc<dyn Store> {
        db.open(Some(Arc::new(move || {
            Utc::now() + Duration::seconds(offset.load(Ordering::SeqCst))
        })))
        .await
        .unwrap()
    }

    fn spec(name: &str) -> UserSpec {
        UserSpec {
            username: name.into(),
            display_name: String::new(),
            role: Role::Supervisor,
            districts: vec![],
            entities: vec![],
        }
    }

    const PW: &str = "correct horse battery";

    #[tokio::test]
    async fn sessions_end_when_idle_or_too_old() {
        for backend in Backend::ALL {
            let db = TestDb::new(backend).await;
            let offset = Arc::new(AtomicI64::new(0));
            let store = store_at(&db, offset.clone()).await;
            let store = store.as_ref();
            let policy = Policy::default();
            add_user(store, &spec("li"), PW, &Actor::system("test"))
                .await
                .unwrap();
            let s = login(store, &policy, "li", PW, "10.0.0.1")
                .await
                .unwrap()
                .unwrap();
            assert!(session(store, &policy, &s.token).await.unwrap().is_some());
            assert!(session(store, &policy, "not-a-token")
                .await
                .unwrap()
                .is_none());

            // Last used 31 minutes ago: idle, ended and deleted.
            offset.store(-31 * 60, Ordering::SeqCst);
            let idle = login(store, &policy, "li", PW, "10.0.0.1")
                .await
                .unwrap()
                .unwrap();
            offset.store(0, Ordering::SeqCst);
            assert!(session(store, &policy, &idle.token)
                .await
                .unwrap()
                .is_none());
            assert!(store
                .session(&token_hash(&idle.token))
                .await
                .unwrap()
                .is_none());

            // Opened 13 hours ago but used a minute ago: past the absolute limit.
            offset.store(-13 * 3600, Ordering::SeqCst);
            let old = login(store, &policy, "li", PW, "10.0.0.1")
                .await
                .unwrap()
                .unwrap();
            offset.store(-60, Ordering::SeqCst);
            store.touch_session(&token_hash(&old.token)).await.unwrap();
            offset.store(0, Ordering::SeqCst);
            assert!(session(store, &policy, &old.token).await.unwrap().is_none());

            // The first session is still live; logout ends it.
            let live = session(store, &policy, &s.token).await.unwrap().unwrap();
            logout(store, &live).await.unwrap();
            assert!(session(store, &policy, &s.token).await.unwrap().is_none());
        }
    }

    #[tokio::test]
    async fn a_client_address_with_too_many_failures_is_refused_for_every_account() {
        let db = TestDb::new(Backend::Sqlite).await;
        let store = db.open(None).await.unwrap();
        let store = store.as_ref();
        let policy = Policy {
            max_client_failures: 3,
            ..Policy::default()
        };
        add_user(store, &spec("li"), PW, &Actor::system("test"))
            .await
            .unwrap();
        // Wrong passwords for three different (unknown) names from one address.
        for name in ["a1", "a2", "a3"] {
            assert_eq!(
                login(store, &policy, name, "guess guess", "10.9.9.9")
                    .await
                    .unwrap()
                    .unwrap_err(),
                LoginRefusal::BadCredentials
            );
        }
        assert_eq!(
            login(store, &policy, "li", PW, "10.9.9.9")
                .await
                .unwrap()
                .unwrap_err(),
            LoginRefusal::Throttled
        );
        // Another address is not affected.
        assert!(login(store, &policy, "li", PW, "10.0.0.2")
            .await
            .unwrap()
            .is_ok());
    }

    #[test]
    fn hashes_verify_and_secrets_compare() {
        let h = hash_password(PW).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(PW, &h));
        assert!(!verify_password("wrong password", &h));
        assert!(!verify_password(PW, "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(PeopleError::WeakPassword)
        ));
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd") && !secrets_equal("abc", "ab"));
        let p = generate_password().unwrap();
        assert_eq!(p.chars().count(), 16);
        assert_ne!(p, generate_password().unwrap());
    }
}
