//! The admins' account pages, the one-time password page, and the form
//! where everyone changes their own password.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use vipps_om_outbox::Timestamp;

use super::{csrf, page, problems, respond, role_name, when};
use crate::i18n::{Lang, T};
use crate::limits;
use crate::store::{Account, Role};
use crate::web::Ctx;

/// How an account's password stands.
fn password_state(ctx: &Ctx, account: &Account, now: i64) -> Markup {
    let lang = ctx.lang;
    html! {
        @match account.temporary_until {
            None => (lang.t(T::PasswordOwn)),
            Some(until) if until <= now => span.warn { (lang.t(T::PasswordOneTimeExpired)) },
            Some(until) => { (lang.t(T::PasswordOneTime)) " " (when(ctx, Timestamp::from_millis(until))) },
        }
    }
}

fn status(lang: Lang, account: &Account) -> Markup {
    html! {
        @if account.disabled { span.badge.disabled { (lang.t(T::AccountDisabled)) } }
        @else { (lang.t(T::AccountEnabled)) }
    }
}

fn role_select(lang: Lang, id: &str, selected: Role) -> Markup {
    html! {
        select #(id) name="role" {
            @for role in Role::ALL {
                option value=(role.as_str()) selected[role == selected] { (role_name(lang, role)) }
            }
        }
    }
}

/// `/admin/users`: the accounts and the form to add one; `problem` is why
/// the last add was refused (422/409 with the form filled in again).
pub(crate) fn list(
    ctx: &Ctx,
    accounts: &[Account],
    more: bool,
    form: (&str, Role),
    problem: Option<(StatusCode, &str)>,
) -> Response {
    let lang = ctx.lang;
    let now = Timestamp::now().as_millis();
    let (name, role) = form;
    let body = html! {
        p.muted { (lang.t(T::AccountsExplain)) }
        @if let Some((_, text)) = problem {
            (problems(lang.t(T::InvalidInput), &[("username".to_owned(), text.to_owned())], "error"))
        }
        form.card method="post" action="/admin/users" #add-account {
            h2 { (lang.t(T::AddAccount)) }
            (csrf(ctx))
            div.field {
                label for="username" { (lang.t(T::Username)) }
                input #username type="text" name="username" value=(name) required
                    maxlength=(limits::MAX_USERNAME_CHARS) autocomplete="off" aria-describedby="username_hint";
                small #username_hint { (lang.t(T::UsernameHint)) }
            }
            div.field {
                label for="role" { (lang.t(T::AccountRole)) }
                (role_select(lang, "role", role))
            }
            button type="submit" { (lang.t(T::AddAccountButton)) }
        }
        @if more {
            p.notice.info role="status" { (lang.t(T::AccountsMore)) " " (crate::store::MAX_ACCOUNTS_LISTED) "." }
        }
        div.scroll {
            table.stack #accounts {
                caption { (lang.t(T::AccountsTitle)) }
                thead { tr {
                    th scope="col" { (lang.t(T::Username)) }
                    th scope="col" { (lang.t(T::AccountRole)) }
                    th scope="col" { (lang.t(T::AccountStatus)) }
                    th scope="col" { (lang.t(T::Password)) }
                    th scope="col" { span.visually-hidden { (lang.t(T::Manage)) } }
                } }
                tbody {
                    @for account in accounts {
                        tr id={ "account-" (account.user.id) } {
                            th scope="row" data-label=(lang.t(T::Username)) { (account.user.username) }
                            td data-label=(lang.t(T::AccountRole)) { (role_name(lang, account.user.role)) }
                            td data-label=(lang.t(T::AccountStatus)) { (status(lang, account)) }
                            td data-label=(lang.t(T::Password)) { (password_state(ctx, account, now)) }
                            td { a href={ "/admin/users/" (account.user.id) } { (lang.t(T::Manage)) " " span.visually-hidden { (account.user.username) } } }
                        }
                    }
                }
            }
        }
    };
    let status = problem.map_or(StatusCode::OK, |(s, _)| s);
    respond(status, page(ctx, lang.t(T::AccountsTitle), body))
}

/// `/admin/users/{id}`: one account and what an admin can do with it;
/// `notice` is the result of the last change (`ok`: done, else refused).
pub(crate) fn account(
    ctx: &Ctx,
    account: &Account,
    notice: Option<(StatusCode, &str)>,
) -> Response {
    let lang = ctx.lang;
    let now = Timestamp::now().as_millis();
    let id = account.user.id;
    let base = format!("/admin/users/{id}");
    let body = html! {
        @if let Some((status, text)) = notice {
            @if status.is_success() { p.notice.ok role="status" #result { (text) } }
            @else { p.notice.error role="alert" #result { (text) } }
        }
        dl.facts {
            dt { (lang.t(T::Username)) } dd #account-name { (account.user.username) }
            dt { (lang.t(T::AccountRole)) } dd #account-role { (role_name(lang, account.user.role)) }
            dt { (lang.t(T::AccountStatus)) } dd #account-status { (status(lang, account)) }
            dt { (lang.t(T::Password)) } dd { (password_state(ctx, account, now)) }
            dt { (lang.t(T::Created)) } dd { (when(ctx, account.created_at)) }
            dt { (lang.t(T::AccountChanged)) } dd { (when(ctx, account.updated_at)) }
        }
        form.card method="post" action={ (base) "/role" } {
            h2 { (lang.t(T::ChangeRole)) }
            (csrf(ctx))
            div.field {
                label for="role" { (lang.t(T::AccountRole)) }
                (role_select(lang, "role", account.user.role))
            }
            button type="submit" { (lang.t(T::ChangeRole)) }
        }
        form.card method="post" action={ (base) @if account.disabled { "/enable" } @else { "/disable" } } {
            @if account.disabled {
                h2 { (lang.t(T::EnableAccount)) }
                (csrf(ctx))
                button type="submit" { (lang.t(T::EnableAccount)) }
            } @else {
                h2 { (lang.t(T::DisableAccount)) }
                p.muted { (lang.t(T::DisableExplain)) }
                (csrf(ctx))
                button type="submit" { (lang.t(T::DisableAccount)) }
            }
        }
        form.card method="post" action={ (base) "/password" } {
            h2 { (lang.t(T::ResetPassword)) }
            p.muted { (lang.t(T::ResetExplain)) }
            (csrf(ctx))
            button type="submit" { (lang.t(T::ResetPassword)) }
        }
        p { a href="/admin/users" { (lang.t(T::BackToAccounts)) } }
    };
    let status = notice
        .map(|(s, _)| s)
        .filter(|s| !s.is_success())
        .unwrap_or(StatusCode::OK);
    let title = format!("{} {}", lang.t(T::AccountTitle), account.user.username);
    respond(status, page(ctx, &title, body))
}

/// The one-time password of a new or reset account, shown this once.
pub(crate) fn one_time_password(
    ctx: &Ctx,
    title: T,
    account: &Account,
    password: &str,
    until: Timestamp,
) -> Response {
    let lang = ctx.lang;
    let body = html! {
        p.notice.ok role="status" {
            (lang.t(T::OneTimePasswordFor)) " " strong { (account.user.username) }
            " (" (role_name(lang, account.user.role)) "):"
        }
        p { code.secret #one-time-password { (password) } }
        p { (lang.t(T::OneTimeExplain)) }
        dl.facts { dt { (lang.t(T::ValidUntil)) } dd { (when(ctx, until)) } }
        p { a href={ "/admin/users/" (account.user.id) } { (lang.t(T::AccountTitle)) " " (account.user.username) } }
        p { a href="/admin/users" { (lang.t(T::BackToAccounts)) } }
    };
    respond(StatusCode::OK, page(ctx, lang.t(title), body))
}

/// `/account/password`: the own-password form; `problem` is why the last
/// try was refused.
pub(crate) fn password_form(
    ctx: &Ctx,
    forced: bool,
    problem: Option<(StatusCode, String)>,
    done: bool,
) -> Response {
    let lang = ctx.lang;
    let body = html! {
        @if forced { p.notice.info role="status" #must-change { (lang.t(T::MustChangePassword)) } }
        @if done { p.notice.ok role="status" #result { (lang.t(T::PasswordChanged)) } }
        @if let Some((_, text)) = &problem {
            (problems(lang.t(T::InvalidInput), &[("password".to_owned(), text.clone())], "error"))
        }
        form.card method="post" action=(crate::pages::accounts::PASSWORD_PATH) {
            (csrf(ctx))
            label for="current_password" { (lang.t(T::CurrentPassword)) }
            input #current_password type="password" name="current_password" autocomplete="current-password" required maxlength=(limits::MAX_PASSWORD_CHARS);
            label for="new_password" { (lang.t(T::NewPassword)) }
            input #new_password type="password" name="new_password" autocomplete="new-password" required
                minlength=(crate::auth::MIN_PASSWORD_CHARS) maxlength=(limits::MAX_PASSWORD_CHARS);
            label for="new_password_again" { (lang.t(T::NewPasswordAgain)) }
            input #new_password_again type="password" name="new_password_again" autocomplete="new-password" required
                minlength=(crate::auth::MIN_PASSWORD_CHARS) maxlength=(limits::MAX_PASSWORD_CHARS);
            button type="submit" { (lang.t(T::NavPassword)) }
        }
    };
    let status = problem.map_or(StatusCode::OK, |(s, _)| s);
    respond(status, page(ctx, lang.t(T::NavPassword), body))
}
