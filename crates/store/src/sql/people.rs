//! Users, sessions, failed logins, API tokens and the audit log.

use super::*;
use crate::{AuditStore, PeopleStore};
use async_trait::async_trait;

/// Appends one audit row inside the writing transaction.
pub(super) async fn audit(
    tx: &mut Tx,
    at: DateTime<Utc>,
    by: &Actor,
    object: &str,
    action: &str,
    old: Option<serde_json::Value>,
    new: Option<serde_json::Value>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit (at, user_id, actor, request_id, object, action, old_value, \
         new_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at)
    .bind(by.user.map(|u| u.0))
    .bind(&by.name)
    .bind(&by.request)
    .bind(object)
    .bind(action)
    .bind(old.map(|v| v.to_string()))
    .bind(new.map(|v| v.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn audit_from_row(r: &DbRow) -> Result<AuditEntry> {
    let value = |col: &str| -> Result<Option<serde_json::Value>> {
        let text: Option<String> = r.try_get(col)?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("audit value", &t, e)))
            .transpose()
    };
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        actor: r.try_get("actor")?,
        request_id: r.try_get("request_id")?,
        object: r.try_get("object")?,
        action: r.try_get("action")?,
        old_value: value("old_value")?,
        new_value: value("new_value")?,
    })
}

/// What the audit log keeps of a user (never the password hash).
fn user_json(u: &User) -> serde_json::Value {
    serde_json::json!({
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "districts": u.districts,
        "entities": u.entities,
        "disabled": u.disabled,
        "locked_until": u.locked_until,
    })
}

macro_rules! user_select {
    ($where:literal) => {
        concat!(
            "SELECT id, username, display_name, role, disabled, created_at, locked_until, \
             password_hash FROM users ",
            $where
        )
    };
}

/// A connection of this backend (a pool's, or a transaction's through `&mut *tx`).
type Conn = <Db as sqlx::Database>::Connection;

/// The user of a `user_select!` row, with their districts and entities, and the password hash.
async fn user_from_row(conn: &mut Conn, row: &DbRow) -> Result<(User, String)> {
    let id: i64 = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    // Districts and entities in one statement (every request of a session reads them).
    let rows = sqlx::query(
        "SELECT district, CAST(NULL AS BIGINT) AS entity_id FROM user_districts \
         WHERE user_id = $1 \
         UNION ALL \
         SELECT CAST(NULL AS TEXT), entity_id FROM user_entities WHERE user_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut districts: Vec<String> = Vec::new();
    let mut entities: Vec<i64> = Vec::new();
    for r in &rows {
        match (r.try_get("district")?, r.try_get("entity_id")?) {
            (Some(d), _) => districts.push(d),
            (None, Some(e)) => entities.push(e),
            (None, None) => {}
        }
    }
    districts.sort_unstable();
    entities.sort_unstable();
    let user = User {
        id: UserId(id),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::from_str(&role).map_err(|e| corrupt("role", &role, e))?,
        districts: districts
            .iter()
            .map(|d| district(d))
            .collect::<Result<_>>()?,
        entities: entities.into_iter().map(EntityId).collect(),
        disabled: row.try_get("disabled")?,
        created_at: row.try_get("created_at")?,
        locked_until: row.try_get("locked_until")?,
    };
    Ok((user, row.try_get("password_hash")?))
}

/// The user with this id, on `conn`.
async fn user_by_id(conn: &mut Conn, id: UserId) -> Result<Option<User>> {
    let Some(row) = sqlx::query(user_select!("WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(user_from_row(conn, &row).await?.0))
}

impl SqlStore {
    async fn user_in(&self, tx: &mut Tx, id: UserId) -> Result<User> {
        user_by_id(tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    async fn set_user_scope(
        tx: &mut Tx,
        id: UserId,
        districts: &[DistrictCode],
        entities: &[EntityId],
    ) -> Result<()> {
        sqlx::query("DELETE FROM user_districts WHERE user_id = $1")
            .bind(id.0)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM user_entities WHERE user_id = $1")
            .bind(id.0)
            .execute(&mut **tx)
            .await?;
        for d in districts {
            sqlx::query(
                "INSERT INTO user_districts (user_id, district) VALUES ($1, $2) \
                 ON CONFLICT (user_id, district) DO NOTHING",
            )
            .bind(id.0)
            .bind(d.to_string())
            .execute(&mut **tx)
            .await?;
        }
        for e in entities {
            let known: Option<i64> = sqlx::query_scalar("SELECT id FROM entities WHERE id = $1")
                .bind(e.0)
                .fetch_optional(&mut **tx)
                .await?;
            if known.is_none() {
                return Err(StoreError::NotFound(format!("entity {e}")));
            }
            sqlx::query(
                "INSERT INTO user_entities (user_id, entity_id) VALUES ($1, $2) \
                 ON CONFLICT (user_id, entity_id) DO NOTHING",
            )
            .bind(id.0)
            .bind(e.0)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl PeopleStore for SqlStore {
    async fn create_user(&self, user: &NewUser, by: &Actor) -> Result<User> {
        let mut tx = self.write_tx().await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(&user.username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "username {:?} is taken",
                user.username
            )));
        }
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, disabled, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.code())
        .bind(&user.password_hash)
        .bind(false)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        Self::set_user_scope(&mut tx, UserId(id), &user.districts, &user.entities).await?;
        let created = self.user_in(&mut tx, UserId(id)).await?;
        audit(
            &mut tx,
            now,
            by,
            &format!("user:{id}"),
            "create",
            None,
            Some(user_json(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let mut conn = self.pool.acquire().await?;
        user_by_id(&mut conn, id).await
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        Ok(self.user_credentials(username).await?.map(|(u, _)| u))
    }

    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query(user_select!("WHERE username = $1"))
            .bind(username)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(user_from_row(&mut conn, &row).await?))
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(user_select!("ORDER BY id"))
            .fetch_all(&mut *conn)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(user_from_row(&mut conn, r).await?.0);
        }
        Ok(out)
    }

    async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn change_user(&self, id: UserId, change: &UserChange, by: &Actor) -> Result<User> {
        let mut tx = self.write_tx().await?;
        let before = self.user_in(&mut tx, id).await?;
        let end_sessions = match change {
            UserChange::Disabled(d) => {
                sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                    .bind(*d)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                *d
            }
            UserChange::Password(hash) => {
                sqlx::query(
                    "UPDATE users SET password_hash = $1, locked_until = NULL WHERE id = $2",
                )
                .bind(hash)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                true
            }
            UserChange::Role {
                role,
                districts,
                entities,
            } => {
                sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                    .bind(role.code())
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                Self::set_user_scope(&mut tx, id, districts, entities).await?;
                false
            }
            UserChange::LockedUntil(until) => {
                sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
                    .bind(*until)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                false
            }
        };
        if end_sessions {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        let after = self.user_in(&mut tx, id).await?;
        let action = match change {
            UserChange::Disabled(true) => "disable",
            UserChange::Disabled(false) => "enable",
            UserChange::Password(_) => "password",
            UserChange::Role { .. } => "role",
            UserChange::LockedUntil(_) => "lock",
        };
        audit(
            &mut tx,
            self.now(),
            by,
            &format!("user:{id}"),
            action,
            Some(user_json(&before)),
            Some(user_json(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn record_login_failure(&self, username: &str, client: &str) -> Result<()> {
        sqlx::query("INSERT INTO login_failures (username, client, at) VALUES ($1, $2, $3)")
            .bind(username)
            .bind(client)
            .bind(self.now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn login_failures_since(
        &self,
        username: &str,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64)> {
        let by_user: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at >= $2",
        )
        .bind(username)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        let by_client: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE client = $1 AND at >= $2",
        )
        .bind(client)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((by_user, by_client))
    }

    async fn clear_login_failures(&self, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user: UserId,
        csrf: &str,
        client: &str,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.write_tx().await?;
        let who = self.user_in(&mut tx, user).await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, client, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id_hash)
        .bind(user.0)
        .bind(csrf)
        .bind(client)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // A login is in the user's history, with the address it came from.
        audit(
            &mut tx,
            now,
            &Actor::user(&who, None),
            &format!("user:{user}"),
            "login",
            None,
            Some(serde_json::json!({ "client": client })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        // The session and its user in one statement, their districts and entities in another:
        // every request of a logged-in person asks this.
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query(
            "SELECT s.csrf, s.client, s.created_at AS session_created_at, \
             s.last_seen_at AS session_last_seen_at, u.id, u.username, u.display_name, u.role, \
             u.disabled, u.created_at, u.locked_until, u.password_hash \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let (user, _) = user_from_row(&mut conn, &row).await?;
        Ok(Some(SessionRow {
            user,
            csrf: row.try_get("csrf")?,
            client: row.try_get("client")?,
            created_at: row.try_get("session_created_at")?,
            last_seen_at: row.try_get("session_last_seen_at")?,
        }))
    }

    async fn touch_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(self.now())
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
        by: &Actor,
    ) -> Result<ApiToken> {
        let mut tx = self.write_tx().await?;
        self.user_in(&mut tx, user).await?;
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user.0)
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let token = ApiToken {
            id,
            user_id: user,
            name: name.to_string(),
            created_at: now,
            revoked_at: None,
        };
        audit(
            &mut tx,
            now,
            by,
            &format!("user:{user}"),
            "token",
            None,
            Some(serde_json::json!({ "token": id, "name": name })),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => self.user(UserId(id)).await,
            None => Ok(None),
        }
    }

    async fn list_api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, created_at, revoked_at FROM api_tokens \
             WHERE user_id = $1 ORDER BY id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    user_id: UserId(r.try_get("user_id")?),
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    async fn revoke_api_token(&self, id: i64, by: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let now = self.now();
        let user: Option<i64> = sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             RETURNING user_id",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let user = user.ok_or_else(|| StoreError::NotFound(format!("live token {id}")))?;
        audit(
            &mut tx,
            now,
            by,
            &format!("user:{user}"),
            "revoke_token",
            Some(serde_json::json!({ "token": id })),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn audit_of(&self, object: &str) -> Result<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, at, user_id, actor, request_id, object, action, old_value, new_value \
             FROM audit WHERE object = $1 ORDER BY id",
        )
        .bind(object)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(audit_from_row)
        .collect()
    }

    async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, at, user_id, actor, request_id, object, action, old_value, new_value \
             FROM audit ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(audit_from_row)
        .collect()
    }
}
