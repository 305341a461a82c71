//! Accounts: admins add staff, change roles, disable and enable accounts
//! and reset passwords (`/admin/users…`); everyone changes their own
//! password (`/account/password`).
//!
//! New accounts and reset passwords get a *one-time password*: random
//! (18 characters, [`crate::auth::random_password`]), shown to the admin
//! once on the answer page (never logged, never in the audit log, stored
//! only as an argon2id hash), valid for [`limits::ONE_TIME_PASSWORD_TTL`].
//! Signing in with it leads straight to `/account/password`: the guard
//! lets such a session reach nothing else until the person has chosen
//! their own password. (A set-password link would need a mail system the
//! console does not have; the admin hands the password over instead.)
//!
//! Every change is written to the audit log with who did it, what, and to
//! whom; a refusal (the last enabled admin) is written as `refused`.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use vipps_om_outbox::Timestamp;

use super::{AppError, Page, St, audit, internal};
use crate::AppState;
use crate::auth::{MIN_PASSWORD_CHARS, random_password};
use crate::i18n::T;
use crate::limiter::Gate;
use crate::limits;
use crate::store::{Account, AccountChange, ChangeOutcome, NewAudit, Role, StoreError, User};
use crate::views;
use crate::web::{Ctx, Signed, millis};

/// Where everyone changes their own password (and where a one-time
/// password leads).
pub(crate) const PASSWORD_PATH: &str = "/account/password";

/// Hashes a password off the async threads.
async fn hash(state: &AppState, ctx: &Ctx, password: String) -> Result<String, AppError> {
    let hasher = state.hasher.clone();
    tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .map_err(|e| internal(ctx, e))?
        .map_err(|e| internal(ctx, e))
}

/// A new one-time password, its hash, and until when it is valid.
async fn one_time(state: &AppState, ctx: &Ctx) -> Result<(String, String, Timestamp), AppError> {
    let password = random_password().map_err(|e| internal(ctx, e))?;
    let hashed = hash(state, ctx, password.clone()).await?;
    let until = Timestamp::from_millis(
        Timestamp::now()
            .as_millis()
            .saturating_add(millis(limits::ONE_TIME_PASSWORD_TTL)),
    );
    Ok((password, hashed, until))
}

async fn record(state: &AppState, signed: &Signed, action: &str, detail: &str, outcome: &str) {
    audit(
        state,
        NewAudit {
            username: &signed.session.user.username,
            action,
            order_id: None,
            payment_type: None,
            detail,
            outcome,
        },
    )
    .await;
}

/// The account id in a path, or the 404 page.
fn account_id(ctx: &Ctx, raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| not_found(ctx))
}

fn not_found(ctx: &Ctx) -> AppError {
    views::message_page(
        ctx,
        StatusCode::NOT_FOUND,
        ctx.lang.t(T::NotFound),
        ctx.lang.t(T::AccountNotFound),
    )
    .into()
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<Account, AppError> {
    state
        .store
        .account(id)
        .await
        .map_err(|e| internal(ctx, e))?
        .ok_or_else(|| not_found(ctx))
}

/// The accounts page, optionally with the add form refilled and why it
/// was refused.
async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: (&str, Role),
    problem: Option<(StatusCode, &str)>,
) -> Page {
    let (accounts, more) = state.store.accounts().await.map_err(|e| internal(ctx, e))?;
    Ok(views::accounts::list(ctx, &accounts, more, form, problem))
}

pub(crate) async fn accounts_page(State(state): St, signed: Signed) -> Page {
    signed.require_admin()?;
    list_page(&state, &signed.ctx, ("", Role::Viewer), None).await
}

#[derive(Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

pub(crate) async fn add_account(
    State(state): St,
    signed: Signed,
    Form(form): Form<AddForm>,
) -> Page {
    signed.require_admin()?;
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let name = form.username.trim();
    let role = Role::parse(form.role.trim());
    let refill = (name, role.unwrap_or(Role::Viewer));
    if !crate::valid_username(name) {
        let problem = Some((StatusCode::UNPROCESSABLE_ENTITY, lang.t(T::BadUsername)));
        return list_page(&state, ctx, refill, problem).await;
    }
    let Some(role) = role else {
        let problem = Some((StatusCode::UNPROCESSABLE_ENTITY, lang.t(T::BadRole)));
        return list_page(&state, ctx, refill, problem).await;
    };
    let (password, hashed, until) = one_time(&state, ctx).await?;
    let user = match state
        .store
        .add_user_with(name, role, &hashed, false, Some(until.as_millis()))
        .await
    {
        Ok(user) => user,
        Err(StoreError::UserExists(_)) => {
            let problem = Some((StatusCode::CONFLICT, lang.t(T::AccountExists)));
            return list_page(&state, ctx, refill, problem).await;
        }
        Err(e) => return Err(internal(ctx, e)),
    };
    record(
        &state,
        &signed,
        "user.add",
        &format!(
            "added account {name} with role {role} and a one-time password valid until {until}"
        ),
        "ok",
    )
    .await;
    let account = Account {
        user,
        disabled: false,
        temporary_until: Some(until.as_millis()),
        created_at: Timestamp::now(),
        updated_at: Timestamp::now(),
    };
    Ok(views::accounts::one_time_password(
        ctx,
        T::AccountAdded,
        &account,
        &password,
        until,
    ))
}

pub(crate) async fn account_page(State(state): St, signed: Signed, Path(id): Path<String>) -> Page {
    signed.require_admin()?;
    let ctx = &signed.ctx;
    let id = account_id(ctx, &id)?;
    let account = load(&state, ctx, id).await?;
    Ok(views::accounts::account(ctx, &account, None))
}

/// Applies `change`, audits it, and answers with the account page and a
/// notice (409 when it would leave no enabled admin).
async fn apply(
    state: &AppState,
    signed: &Signed,
    id: i64,
    change: &AccountChange,
    action: &str,
    done: T,
) -> Page {
    let ctx = &signed.ctx;
    let outcome = state
        .store
        .change_account(id, change)
        .await
        .map_err(|e| internal(ctx, e))?;
    let before = match outcome {
        ChangeOutcome::Changed(before) => before,
        ChangeOutcome::NotFound => return Err(not_found(ctx)),
        ChangeOutcome::LastAdmin => {
            let account = load(state, ctx, id).await?;
            record(
                state,
                signed,
                action,
                &format!(
                    "{}: refused, it is the last enabled admin",
                    account.user.username
                ),
                "refused",
            )
            .await;
            return Ok(views::accounts::account(
                ctx,
                &account,
                Some((StatusCode::CONFLICT, ctx.lang.t(T::LastAdmin))),
            ));
        }
    };
    let name = &before.user.username;
    let detail = match change {
        AccountChange::Role(role) => format!("{name}: role {} → {role}", before.user.role),
        AccountChange::Disable => format!("{name}: disabled; its sessions ended"),
        AccountChange::Enable => format!("{name}: enabled"),
        AccountChange::TemporaryPassword { until, .. } => format!(
            "{name}: one-time password made, valid until {}; its sessions ended",
            Timestamp::from_millis(*until)
        ),
    };
    record(state, signed, action, &detail, "ok").await;
    let account = load(state, ctx, id).await?;
    Ok(views::accounts::account(
        ctx,
        &account,
        Some((StatusCode::OK, ctx.lang.t(done))),
    ))
}

#[derive(Deserialize)]
pub(crate) struct RoleForm {
    #[serde(default)]
    role: String,
}

pub(crate) async fn change_role(
    State(state): St,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Page {
    signed.require_admin()?;
    let ctx = &signed.ctx;
    let id = account_id(ctx, &id)?;
    let Some(role) = Role::parse(form.role.trim()) else {
        let account = load(&state, ctx, id).await?;
        return Ok(views::accounts::account(
            ctx,
            &account,
            Some((StatusCode::UNPROCESSABLE_ENTITY, ctx.lang.t(T::BadRole))),
        ));
    };
    apply(
        &state,
        &signed,
        id,
        &AccountChange::Role(role),
        "user.role",
        T::RoleChanged,
    )
    .await
}

pub(crate) async fn disable(State(state): St, signed: Signed, Path(id): Path<String>) -> Page {
    signed.require_admin()?;
    let id = account_id(&signed.ctx, &id)?;
    apply(
        &state,
        &signed,
        id,
        &AccountChange::Disable,
        "user.disable",
        T::AccountDisabledDone,
    )
    .await
}

pub(crate) async fn enable(State(state): St, signed: Signed, Path(id): Path<String>) -> Page {
    signed.require_admin()?;
    let id = account_id(&signed.ctx, &id)?;
    apply(
        &state,
        &signed,
        id,
        &AccountChange::Enable,
        "user.enable",
        T::AccountEnabledDone,
    )
    .await
}

pub(crate) async fn reset_password(
    State(state): St,
    signed: Signed,
    Path(id): Path<String>,
) -> Page {
    signed.require_admin()?;
    let ctx = &signed.ctx;
    let id = account_id(ctx, &id)?;
    let (password, hashed, until) = one_time(&state, ctx).await?;
    let change = AccountChange::TemporaryPassword {
        hash: hashed,
        until: until.as_millis(),
    };
    let page = apply(
        &state,
        &signed,
        id,
        &change,
        "user.password_reset",
        T::PasswordResetDone,
    )
    .await?;
    if !page.status().is_success() {
        return Ok(page);
    }
    let account = load(&state, ctx, id).await?;
    Ok(views::accounts::one_time_password(
        ctx,
        T::PasswordResetDone,
        &account,
        &password,
        until,
    ))
}

pub(crate) async fn password_page(signed: Signed) -> Page {
    let forced = signed.session.must_change_password;
    Ok(views::accounts::password_form(
        &signed.ctx,
        forced,
        None,
        false,
    ))
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

pub(crate) async fn change_password(
    State(state): St,
    signed: Signed,
    Form(form): Form<PasswordForm>,
) -> Page {
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let user: &User = &signed.session.user;
    let forced = signed.session.must_change_password;
    let refuse = |status: StatusCode, text: String| -> Page {
        Ok(views::accounts::password_form(
            ctx,
            forced,
            Some((status, text)),
            false,
        ))
    };
    if form.new_password != form.new_password_again {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t(T::PasswordsDiffer).into(),
        );
    }
    if form.new_password.chars().count() < MIN_PASSWORD_CHARS {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t_args(
                T::PasswordTooShortAtLeast,
                &[("min", &MIN_PASSWORD_CHARS.to_string())],
            ),
        );
    }
    if form.new_password == form.current_password {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t(T::PasswordSame).into(),
        );
    }
    // The current password is checked as a sign-in is: through the
    // limiter (a wrong one counts as a failed sign-in) and the bounded
    // password checks.
    match state.limiter.check(&user.username, &ctx.address) {
        Gate::Open { delay } if !delay.is_zero() => tokio::time::sleep(delay).await,
        Gate::Open { .. } => {}
        _ => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                lang.t(T::SignInLocked).into(),
            );
        }
    }
    let stored = state
        .store
        .user_by_name(&user.username)
        .await
        .map_err(|e| internal(ctx, e))?
        .map(|u| u.password_hash);
    let Some(permit) = state.hash_gate.enter().await else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            lang.t(T::SignInBusy).into(),
        );
    };
    let hasher = state.hasher.clone();
    let current = form.current_password;
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hasher.verify(&current, stored.as_deref())
    })
    .await
    .unwrap_or(false);
    if !ok {
        state.limiter.failed(&user.username, &ctx.address);
        record(
            &state,
            &signed,
            "password.change",
            "own password not changed: the current password was wrong",
            "refused",
        )
        .await;
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t(T::CurrentPasswordWrong).into(),
        );
    }
    state.limiter.succeeded(&user.username, &ctx.address);
    let hashed = hash(&state, ctx, form.new_password).await?;
    state
        .store
        .set_own_password(user.id, &hashed, &signed.session.token_hash)
        .await
        .map_err(|e| internal(ctx, e))?;
    record(
        &state,
        &signed,
        "password.change",
        if forced {
            "chose an own password in place of the one-time password; other sessions ended"
        } else {
            "changed the own password; other sessions ended"
        },
        "ok",
    )
    .await;
    Ok(views::accounts::password_form(ctx, false, None, true))
}
