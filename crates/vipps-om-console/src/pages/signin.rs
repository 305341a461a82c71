//! Sign-in and sign-out: the form with its server-issued token, the
//! limiter ([`crate::limiter`]) and the bounded password checks around
//! argon2, and the audit lines of failed attempts (which never hold a
//! name that has no account).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Page, audit, internal};
use crate::AppState;
use crate::auth::{random_token, token_hash};
use crate::i18n::T;
use crate::limiter::{Failure, Gate};
use crate::store::NewAudit;
use crate::views::{self, respond};
use crate::web::{Ctx, Signed, local_path, millis, set_cookie};

type St = State<Arc<AppState>>;

/// What the audit log shows as the user of a failed sign-in for a name
/// that has no account.
pub const UNKNOWN_NAME: &str = "(unknown name)";

/// Seconds a 503 answer asks the browser to wait (`Retry-After`).
const BUSY_RETRY_AFTER_SECS: u64 = 5;

#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

pub(crate) async fn login_page(State(state): St, ctx: Ctx, Query(q): Query<Next>) -> Page {
    if ctx.session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    login_form(&state, &ctx, q.next.as_deref(), None, StatusCode::OK)
}

/// The sign-in form, with the browser's token when this server issued it
/// and it is still valid, else a new one (also set as the cookie).
fn login_form(
    state: &AppState,
    ctx: &Ctx,
    next: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Page {
    let reuse = ctx
        .login_token
        .clone()
        .filter(|t| state.login_tokens.verify(t));
    let token = match reuse {
        Some(t) => t,
        None => state.login_tokens.issue().map_err(|e| internal(ctx, e))?,
    };
    let next = next.and_then(local_path).unwrap_or("/");
    let mut response = respond(status, views::login(ctx, &token, next, error));
    let max_age = crate::auth::LOGIN_TOKEN_TTL.as_secs();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, state.login_cookie(), &token, Some(max_age)),
    );
    Ok(response)
}

fn with_retry_after(mut response: Response, secs: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// The audit detail of a failed sign-in.
fn failure_detail(known: bool, name_chars: usize, address: &str, failure: Failure) -> String {
    let mut detail = if known {
        format!("wrong password from {address}")
    } else {
        format!("a user name that has no account ({name_chars} characters) from {address}")
    };
    if failure.pair_locked {
        detail.push_str("; this name is now locked from this address for 15 minutes");
    }
    if failure.address_locked {
        detail.push_str("; this address is now refused for 15 minutes");
    }
    detail
}

pub(crate) async fn login(State(state): St, ctx: Ctx, Form(form): Form<LoginForm>) -> Page {
    let lang = ctx.lang;
    // The guard bounded both fields (crate::limits) before this runs.
    let name = form.username.trim().to_owned();
    let next = form.next.as_deref();
    let policy = *state.limiter.policy();
    let delay = match state.limiter.check(&name, &ctx.address) {
        Gate::Open { delay } => delay,
        gate => {
            // Refusals are not written to the audit log (a flood would
            // fill it); the failure that caused them was.
            tracing::info!(address = %ctx.address, ?gate, "sign-in refused by the limiter");
            let text = if gate == Gate::Locked {
                lang.t(T::SignInLocked)
            } else {
                lang.t(T::SignInTooMany)
            };
            let page = login_form(
                &state,
                &ctx,
                next,
                Some(text),
                StatusCode::TOO_MANY_REQUESTS,
            )?;
            return Ok(with_retry_after(page, policy.lockout.as_secs()));
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let found = state
        .store
        .user_by_name(&name)
        .await
        .map_err(|e| internal(&ctx, e))?;
    let Some(permit) = state.hash_gate.enter().await else {
        tracing::warn!(address = %ctx.address, "sign-in refused: too many password checks at once");
        let page = login_form(
            &state,
            &ctx,
            next,
            Some(lang.t(T::SignInBusy)),
            StatusCode::SERVICE_UNAVAILABLE,
        )?;
        return Ok(with_retry_after(page, BUSY_RETRY_AFTER_SECS));
    };
    let hasher = state.hasher.clone();
    let hash = found.as_ref().map(|u| u.password_hash.clone());
    let password = form.password;
    // The permit is held until the hash is done, even when the client
    // has gone away.
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hasher.verify(&password, hash.as_deref())
    })
    .await
    .unwrap_or(false);
    let (user, temporary) = match (ok, found) {
        (true, Some(found))
            if found.disabled
                || found.temporary_until.is_some_and(|until| {
                    until <= vipps_om_outbox::Timestamp::now().as_millis()
                }) =>
        {
            // The right password, but the account may not sign in: say
            // why (only someone who knows the password learns it).
            let (text, detail, status) = if found.disabled {
                (
                    T::SignInDisabled,
                    "refused: the account is disabled",
                    StatusCode::FORBIDDEN,
                )
            } else {
                (
                    T::SignInExpired,
                    "refused: the one-time password has expired",
                    StatusCode::UNAUTHORIZED,
                )
            };
            tracing::info!(user = %found.user.username, address = %ctx.address, "{detail}");
            audit(
                &state,
                NewAudit {
                    username: &found.user.username,
                    action: "login",
                    order_id: None,
                    payment_type: None,
                    detail: &format!("{detail} (from {})", ctx.address),
                    outcome: "refused",
                },
            )
            .await;
            return login_form(&state, &ctx, next, Some(lang.t(text)), status);
        }
        (true, Some(found)) => (found.user, found.temporary_until.is_some()),
        (_, found) => {
            let failure = state.limiter.failed(&name, &ctx.address);
            let known = found.as_ref().map(|f| f.user.username.as_str());
            tracing::info!(
                user = known.unwrap_or(UNKNOWN_NAME),
                address = %ctx.address,
                pair_locked = failure.pair_locked,
                address_locked = failure.address_locked,
                "failed sign-in"
            );
            let detail =
                failure_detail(known.is_some(), name.chars().count(), &ctx.address, failure);
            audit(
                &state,
                NewAudit {
                    username: known.unwrap_or(UNKNOWN_NAME),
                    action: "login",
                    order_id: None,
                    payment_type: None,
                    detail: &detail,
                    outcome: "refused",
                },
            )
            .await;
            let text = if failure.pair_locked {
                lang.t(T::SignInLocked)
            } else if failure.address_locked {
                lang.t(T::SignInTooMany)
            } else {
                lang.t(T::SignInFailed)
            };
            return login_form(&state, &ctx, next, Some(text), StatusCode::UNAUTHORIZED);
        }
    };
    state.limiter.succeeded(&name, &ctx.address);
    let token = random_token().map_err(|e| internal(&ctx, e))?;
    let csrf_token = random_token().map_err(|e| internal(&ctx, e))?;
    // A new session id at every sign-in (no fixation); an old one ends.
    if let Some(old) = &ctx.session {
        let _ = state.store.delete_session(&old.token_hash).await;
    }
    state
        .store
        .create_session(
            &token_hash(&token),
            user.id,
            &csrf_token,
            millis(state.config.idle_timeout),
            millis(state.config.absolute_timeout),
        )
        .await
        .map_err(|e| internal(&ctx, e))?;
    audit(
        &state,
        NewAudit {
            username: &user.username,
            action: "login",
            order_id: None,
            payment_type: None,
            detail: &format!("signed in ({}) from {}", user.role, ctx.address),
            outcome: "ok",
        },
    )
    .await;
    // A one-time password: the person chooses their own first.
    let target = if temporary {
        super::accounts::PASSWORD_PATH
    } else {
        next.and_then(local_path).unwrap_or("/")
    };
    let mut response = Redirect::to(target).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            state.session_cookie(),
            &token,
            Some(state.config.absolute_timeout.as_secs()),
        ),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, state.login_cookie(), "", Some(0)),
    );
    Ok(response)
}

pub(crate) async fn logout(State(state): St, signed: Signed) -> Response {
    let _ = state.store.delete_session(&signed.session.token_hash).await;
    audit(
        &state,
        NewAudit {
            username: &signed.session.user.username,
            action: "logout",
            order_id: None,
            payment_type: None,
            detail: "signed out",
            outcome: "ok",
        },
    )
    .await;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, state.session_cookie(), "", Some(0)),
    );
    response
}
