//! SQLite's C API where sqlx has no door, on the connection sqlx holds: rows in bulk (a first
//! load of the register, `append_new_entities`, inserts each row with one prepared single-row
//! statement per table, its values bound in place) and the query planner's stability
//! guarantee ([`stable_plans`]).
//!
//! The one module of the project with `unsafe` code, for measured reasons. The same first
//! load through sqlx's multi-row INSERTs (1,000,000 entities, `perf record` of
//! `bench/register.sh`'s import, 2026-12-07) spent 69 % of its samples in sqlx's SQLite
//! worker thread, of which about a fifth copying every bound value (sqlx binds text as
//! `SQLITE_TRANSIENT`: a `malloc` and a copy per value, freed at the statement's reset) and
//! a tenth in the statement journal a multi-row INSERT inside a transaction needs (each page
//! it touches copied aside in case the statement fails half-way); the rest of the process
//! waited for that thread. A single-row statement needs no statement journal, and values
//! bound with `SQLITE_STATIC` are read where they lie. sqlx documents this door
//! (`SqliteConnection::lock_handle`: the worker thread makes no call on the connection
//! while the handle is locked).
//!
//! Stable plans: SQLite's planner reads a bound value where it could decide the plan (a
//! partial index's condition, a LIKE pattern, the STAT4 statistics the SQLite sqlx bundles is
//! built with) and marks that parameter; a statement is then prepared again at every execution
//! whose binding of it changed, and sqlx binds anew at every execution. In the console's list
//! of cases under load (`perf record` of `bench/console.sh`'s 20,000-entity data) that
//! re-preparation was 6 % of the process's samples. sqlx has no setting for
//! `SQLITE_DBCONFIG_ENABLE_QPSG`.
//!
//! The safe surface: [`Conn`] borrows a locked handle, a [`Stmt`] borrows its `Conn` (so it
//! is finalized before the handle goes back to sqlx), and [`Stmt::run`] binds, steps, resets
//! and clears in one call, so that no bound pointer outlives the values it was given.
#![allow(unsafe_code)]

use crate::{Result, StoreError};
use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;
use std::ffi::{c_int, CStr};
use std::marker::PhantomData;
use std::ptr::NonNull;

/// Turns on the query planner's stability guarantee on the handle's connection: one plan per
/// statement whatever its bound values (the statistics still shape it), so that a prepared
/// statement is not prepared again for each new binding.
pub(super) fn stable_plans(handle: &mut LockedSqliteHandle<'_>) -> Result<()> {
    let conn = Conn::new(handle);
    let (on, mut set): (c_int, c_int) = (1, 0);
    // SAFETY: as in `Conn::prepare`; SQLITE_DBCONFIG_ENABLE_QPSG takes an int (1: on) and a
    // pointer to an int it writes the new setting to, valid during the call.
    let rc = unsafe {
        ffi::sqlite3_db_config(
            conn.db.as_ptr(),
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            on,
            &raw mut set,
        )
    };
    if rc != ffi::SQLITE_OK || set != 1 {
        return Err(conn.error());
    }
    Ok(())
}

/// A value bound to one parameter.
#[derive(Debug, Clone, Copy)]
pub(super) enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Value::Null, Value::Text)
    }
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

/// The connection of a locked sqlx handle, for as long as the lock is held.
pub(super) struct Conn<'h> {
    db: NonNull<ffi::sqlite3>,
    _locked: PhantomData<&'h mut ()>,
}

impl<'h> Conn<'h> {
    pub(super) fn new(handle: &'h mut LockedSqliteHandle<'_>) -> Conn<'h> {
        Conn {
            db: handle.as_raw_handle(),
            _locked: PhantomData,
        }
    }

    /// Prepares one statement (`sql` holds exactly one).
    pub(super) fn prepare(&self, sql: &str) -> Result<Stmt<'_, 'h>> {
        let len = c_int::try_from(sql.len())
            .map_err(|_| StoreError::Corrupt("statement too long".into()))?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: `db` is an open connection no other thread uses while the handle is locked
        // (`Conn` borrows the lock); `sql` is valid for `len` bytes during the call.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                self.db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                &mut raw,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error());
        }
        let raw = NonNull::new(raw)
            .ok_or_else(|| StoreError::Corrupt(format!("no statement in {sql:?}")))?;
        Ok(Stmt { raw, conn: self })
    }

    /// The rowid of the last row an INSERT on this connection made.
    pub(super) fn last_insert_rowid(&self) -> i64 {
        // SAFETY: as in `prepare`.
        unsafe { ffi::sqlite3_last_insert_rowid(self.db.as_ptr()) }
    }

    /// Rows the last INSERT, UPDATE or DELETE on this connection changed.
    pub(super) fn changes(&self) -> u64 {
        // SAFETY: as in `prepare`.
        unsafe { ffi::sqlite3_changes64(self.db.as_ptr()) }.unsigned_abs()
    }

    /// The connection's last error: a constraint is a conflict, anything else SQLite's code
    /// and message.
    fn error(&self) -> StoreError {
        // SAFETY: as in `prepare`; `sqlite3_errmsg` returns a NUL-terminated string owned by
        // the connection, valid until its next call, and copied here at once.
        let (code, message) = unsafe {
            (
                ffi::sqlite3_extended_errcode(self.db.as_ptr()),
                CStr::from_ptr(ffi::sqlite3_errmsg(self.db.as_ptr()))
                    .to_string_lossy()
                    .into_owned(),
            )
        };
        if code & 0xff == ffi::SQLITE_CONSTRAINT {
            StoreError::Conflict(message)
        } else {
            StoreError::Sqlite { code, message }
        }
    }
}

/// A prepared statement, finalized when dropped.
pub(super) struct Stmt<'c, 'h> {
    raw: NonNull<ffi::sqlite3_stmt>,
    conn: &'c Conn<'h>,
}

impl Stmt<'_, '_> {
    /// Binds `values` to the statement's parameters in order, runs it to its end (a statement
    /// that returns rows is an error) and resets it with its bindings cleared: SQLite holds
    /// no pointer into `values` after the call.
    pub(super) fn run(&mut self, values: &[Value<'_>]) -> Result<()> {
        let s = self.raw.as_ptr();
        let result = self.bind_and_step(values);
        // SAFETY: `s` is a live statement of this connection. After the reset and the
        // clearing, no parameter refers to the caller's memory.
        unsafe {
            ffi::sqlite3_reset(s);
            ffi::sqlite3_clear_bindings(s);
        }
        result
    }

    fn bind_and_step(&mut self, values: &[Value<'_>]) -> Result<()> {
        let s = self.raw.as_ptr();
        for (i, v) in values.iter().enumerate() {
            let at = c_int::try_from(i + 1)
                .map_err(|_| StoreError::Corrupt("too many parameters".into()))?;
            // SAFETY: `s` is a live statement; a text is bound without a copy
            // (`SQLITE_STATIC`) and stays borrowed until `run` has cleared the bindings.
            let rc = unsafe {
                match *v {
                    Value::Null => ffi::sqlite3_bind_null(s, at),
                    Value::Int(n) => ffi::sqlite3_bind_int64(s, at, n),
                    Value::Text(t) => {
                        let len = c_int::try_from(t.len())
                            .map_err(|_| StoreError::Corrupt("value too long".into()))?;
                        ffi::sqlite3_bind_text(s, at, t.as_ptr().cast(), len, ffi::SQLITE_STATIC())
                    }
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(self.conn.error());
            }
        }
        // SAFETY: `s` is a live statement with every parameter bound to live memory.
        match unsafe { ffi::sqlite3_step(s) } {
            ffi::SQLITE_DONE => Ok(()),
            ffi::SQLITE_ROW => Err(StoreError::Corrupt(
                "a bulk statement returned a row".into(),
            )),
            _ => Err(self.conn.error()),
        }
    }
}

impl Drop for Stmt<'_, '_> {
    fn drop(&mut self) {
        // SAFETY: the statement is live and finalized once; its connection is still locked
        // (the statement borrows it).
        unsafe {
            ffi::sqlite3_finalize(self.raw.as_ptr());
        }
    }
}
