//! The interface in English, Norwegian bokmål, Danish, Finnish and
//! Swedish. The language comes from `?lang=`, then the `console_lang`
//! cookie (set by the switch on every page, `/lang/{code}`), then
//! `Accept-Language`; English when none names one of these.
//!
//! # Texts
//! Every text is in a [Fluent](https://projectfluent.org) file a translator
//! can edit without Rust: `locales/<code>/console.ftl` in this crate, one
//! per language, built into the binary (nothing is read at run time). In
//! Rust a text is a [`T`] key; its message id is the key in kebab case
//! (`T::SignIn` is `sign-in`).
//!
//! ```
//! use vipps_om_console::i18n::{Lang, T};
//! assert_eq!(Lang::Nb.t(T::SignIn), "Logg inn");
//! assert_eq!(Lang::Fi.t_args(T::InApp, &[("app", "MobilePay")]), "MobilePay-sovelluksessa");
//! ```
//!
//! To add a text: add `my-text = …` to every `console.ftl` (the same
//! `{ $placeables }` in each), add `MyText` to the `keys!` list below, and
//! call `lang.t(T::MyText)` (or `lang.t_args(T::MyText, &[("name", value)])`
//! when it has placeables). The tests fail when a language lacks a message,
//! when the placeables differ between languages, or when a key has no
//! message.
//!
//! Write whole sentences with placeables (`{ $max } characters`) rather
//! than pieces Rust glues together: word order differs between languages.
//!
//! # Numbers and dates
//! [`Lang::money`] formats an amount (integer minor units; no floats) the
//! way the language writes it: `NOK 1,234.50` (en), `1 234,50 kr` (nb),
//! `1.234,50 kr.` (da), `1 234,50 €` (fi), `1 234,50 NOK` (sv). The
//! grouping space and the space before or after the currency are a
//! no-break space (U+00A0), so an amount never wraps; negative amounts
//! start with `-`. The currency comes from the order; a language's own
//! currency gets its local sign (`kr` in bokmål for NOK, `kr.` in Danish
//! for DKK), the euro is `€` everywhere, and other currencies show their
//! code. [`Lang::datetime_format`] is the date and time as the language
//! writes them: `2025-11-25 16:56:00` (en, sv), `25.11.2025 16:56:00`
//! (nb), `25.11.2025 16.56.00` (da), `25.11.2025 16.56.00` (fi, without
//! leading zeros: `5.1.2025 9.05.00`).

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use vipps_om::{Currency, Total};

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lang {
    /// English.
    En,
    /// Norwegian bokmål.
    Nb,
    /// Danish.
    Da,
    /// Finnish.
    Fi,
    /// Swedish.
    Sv,
}

impl Lang {
    /// Every language, in the order the switch offers them (English
    /// first, the default).
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Nb, Lang::Da, Lang::Fi, Lang::Sv];

    /// The code used in `lang=` and the cookie, and in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
            Lang::Da => "da",
            Lang::Fi => "fi",
            Lang::Sv => "sv",
        }
    }

    /// Reads a code or language tag (`en`, `nb`, `da-DK`, `fi`, `sv_SE`;
    /// `no` and `nn` read as bokmål).
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "nb" | "no" | "nn" => Some(Lang::Nb),
            "da" => Some(Lang::Da),
            "fi" => Some(Lang::Fi),
            "sv" => Some(Lang::Sv),
            _ => None,
        }
    }

    /// The best match of an `Accept-Language` header (English when
    /// nothing matches; of equal weights, the first). At most
    /// [`crate::zone::MAX_ACCEPT_LANGUAGE_TAGS`] tags are read.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for part in header
            .split(',')
            .take(crate::zone::MAX_ACCEPT_LANGUAGE_TAGS)
        {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let q = (q.clamp(0.0, 1.0) * 1000.0) as u16;
            if q == 0 {
                continue;
            }
            if let Some(lang) = Lang::parse(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    /// The language's own name (for the switch).
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nb => "Norsk (bokmål)",
            Lang::Da => "Dansk",
            Lang::Fi => "Suomi",
            Lang::Sv => "Svenska",
        }
    }

    /// The same language for the library's messages
    /// ([`vipps_om::Error::staff_message_in`],
    /// [`vipps_om::Error::customer_message_in`]).
    pub fn library(self) -> vipps_om::Language {
        match self {
            Lang::En => vipps_om::Language::English,
            Lang::Nb => vipps_om::Language::NorwegianBokmal,
            Lang::Da => vipps_om::Language::Danish,
            Lang::Fi => vipps_om::Language::Finnish,
            Lang::Sv => vipps_om::Language::Swedish,
        }
    }

    /// The `.ftl` file of this language.
    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../locales/en/console.ftl"),
            Lang::Nb => include_str!("../locales/nb/console.ftl"),
            Lang::Da => include_str!("../locales/da/console.ftl"),
            Lang::Fi => include_str!("../locales/fi/console.ftl"),
            Lang::Sv => include_str!("../locales/sv/console.ftl"),
        }
    }

    /// The text of `key` (formatted once, on first use). A text with
    /// placeables needs [`Lang::t_args`].
    pub fn t(self, key: T) -> &'static str {
        TEXTS
            .get(self as usize)
            .and_then(|texts| texts.get(key as usize))
            .map(String::as_str)
            .unwrap_or_else(|| key.name())
    }

    /// The text of `key` with its placeables (`{ $name }`) filled in from
    /// `args` (`("name", value)`).
    pub fn t_args(self, key: T, args: &[(&str, &str)]) -> String {
        let id = key.id();
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        format(self, &id, Some(&fluent_args)).unwrap_or_else(|| key.name().to_owned())
    }
}

type Bundle = FluentBundle<FluentResource>;

/// One bundle per language, in [`Lang::ALL`]'s order, made on first use.
static BUNDLES: LazyLock<Vec<Bundle>> =
    LazyLock::new(|| Lang::ALL.iter().map(|&lang| bundle(lang)).collect());

/// Every text without placeables, per language, formatted once.
static TEXTS: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .map(|&lang| {
            T::ALL
                .iter()
                .map(|key| format(lang, &key.id(), None).unwrap_or_else(|| key.name().to_owned()))
                .collect()
        })
        .collect()
});

fn bundle(lang: Lang) -> Bundle {
    // The files are part of the build and checked by the tests; should one
    // still not parse, the messages that did are used (the others fall
    // back to English).
    let resource = FluentResource::try_new(lang.source().to_owned())
        .unwrap_or_else(|(partial, _errors)| partial);
    let id = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Text for HTML and plain text: no Unicode isolation marks.
    bundle.set_use_isolating(false);
    // A message defined twice keeps its first definition.
    let _ = bundle.add_resource(resource);
    bundle
}

/// Message `id` in `lang`, or in English when `lang` lacks it.
fn format(lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
    let find = |lang: Lang| {
        let bundle = BUNDLES.get(lang as usize)?;
        Some((bundle, bundle.get_message(id)?.value()?))
    };
    let (bundle, pattern) = find(lang).or_else(|| find(Lang::En))?;
    let mut errors = Vec::new();
    Some(
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned(),
    )
}

macro_rules! keys {
    ($($key:ident),* $(,)?) => {
        /// A piece of interface text: its message id in the `.ftl` files
        /// is its name in kebab case (`SignIn` is `sign-in`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum T { $($key),* }

        impl T {
            /// Every key, in the order of the list (`key as usize` is its
            /// index).
            pub const ALL: &'static [T] = &[$(T::$key),*];

            /// The key's name in Rust (`SignIn`).
            pub fn name(self) -> &'static str {
                match self { $(T::$key => stringify!($key)),* }
            }
        }
    };
}

impl T {
    /// The key's message id in the `.ftl` files: `SignIn` is `sign-in`.
    pub fn id(self) -> String {
        let mut id = String::new();
        for (i, c) in self.name().chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    id.push('-');
                }
                id.push(c.to_ascii_lowercase());
            } else {
                id.push(c);
            }
        }
        id
    }
}

// The texts, in the order of en/console.ftl.
keys! {
    AppName, SkipToContent, SignIn, SignOut, Username, Password, SignInFailed, SignInLocked,
    SignInTooMany, SignInBusy, TooLong, FileTooLarge, FileTooLargeSize, FormTooLarge,
    UrlTooLong, AuditPages,
    NewerEntries, OlderEntries, AuditCursorBad, SignedInAs, RoleViewer, RoleEditor, NavOrders,
    NavAudit, Language, FindOrder, OrderId, OrderIdHint, PaymentType, PaymentEcom,
    PaymentRecurring, Search, AsCustomerSees, NotInApp, TryOtherType, ApiFailed, KeysRefused,
    CategoryButton, NoCategory, Label, Category, Link, NotAWebLink, ImageId, NoImage,
    OrderDetails, NoReceipt, Items, Shipping, Returns, Product, Quantity, UnitPrice, Discount,
    TaxRate, Total, TotalsPerRate, ExclTax, Tax, InclTax, NoRate, Tip, TotalDiscount,
    ReceiptNumber, Barcode, PosId, PaidWith, Deliveries, NoDeliveries, OutboxUnavailable, Job,
    What, State, Attempts, JobMerchant, Created, DeliveredAt, LastError, FieldsRejected,
    NextStep, NextAttempt, StatePending, StateInFlight, StateDelivered, StateFailed,
    NextFailed, NextPending, NextBlocked, NextDone, NextInFlight, Retry, RetryConfirm,
    RetryExplain, RetryDone, RetryRefused, Confirm, Cancel, BackToOrder, EditCategory,
    CategoryUrl, ImageIdOptional, Review, ReviewCategory, ReplacesCurrent, Problems, Warnings,
    FixProblems, CategoryQueued, QueuedHow, MovedBehindImage, WorkerNote, Busy, NeedsOrder,
    ActionFailed, UploadImage, ImageFile, ImageIdChoice, ReviewImage, ImageFacts, Upload,
    ImageQueued, FailedNamesImage, UseInCategory, UploadExpired, EditorActions, ViewerNote,
    Forbidden, ForbiddenText, CsrfFailed, CsrfFailedText, NotFound, ServerError,
    ServerErrorText, InvalidInput, AuditTitle, AuditExplain, When, Who, Action, Order, Detail,
    Outcome, NoAudit, AuditOfOrder, CatGeneral, CatReceipt, CatOrderConfirmation, CatDelivery,
    CatTicket, CatBooking, KindImage, KindCategoryV2, KindCategoryV3, KindReceipt, UnitPcs,
    UnitKg, UnitKm, UnitMinute, UnitLitre, UnitKwh, Bytes, OutcomeOk, OutcomeRefused,
    OutcomeFailed, CauseTitle, FixTitle, TechnicalDetail, CauseMissingImage, FixMissingImage,
    UploadThisImage, CauseDifferent, FixDifferent, CauseRejected, FixRejected, CauseKeys,
    FixKeys, CauseNoOrder, FixNoOrder, CauseUnreachable, FixUnreachable, PageViewsOff, TimesIn,
    UtcOnHover, Updated, RetriedJob, MovedJob, EnqueuedJob, InApp,
    CustomerStatus, CustomerStatusExplain, CustomerLanguage, CustomerStatusWaiting,
    CustomerStatusDelivered, CustomerStatusFailed, CustomerStatusNotSent,
    RoleAdmin, NavAccounts, NavPassword, AccountsTitle, AccountsExplain, AccountsMore, AccountRole, AccountStatus, AccountChanged, AccountEnabled, AccountDisabled, PasswordOneTime, PasswordOneTimeExpired, PasswordOwn, Manage, AddAccount, AddAccountButton, UsernameHint, AccountAdded, OneTimePasswordFor, OneTimeExplain, ValidUntil, BackToAccounts, AccountTitle, ChangeRole, DisableAccount, EnableAccount, DisableExplain, ResetPassword, ResetExplain, PasswordResetDone, LastAdmin, AccountNotFound, AccountExists, BadUsername, BadRole, RoleChanged, AccountDisabledDone, AccountEnabledDone, AdminOnly, CurrentPassword, NewPassword, NewPasswordAgain, MustChangePassword, PasswordChanged, PasswordsDiffer, PasswordTooShortAtLeast, PasswordSame, CurrentPasswordWrong, SignInDisabled, SignInExpired, CategoryImageAlt, ImageNotInOutbox, ImageNotFound, ImageNotPicture, ImageStoredTooLarge, ConsoleMerchant, OtherMerchantsJobs,
    NavHome, NavJobs, DashTitle, DashFailedTitle, DashNoFailed, DashQueueTitle, DashNothingWaiting, DashWaiting, DashRetrying, DashInFlight, DashFailed, DashOldest, DashJobs, DashShowJobs, DashFirstFailed, DashLastFailed, DashExampleJob, DashMoreReasons, DashNoReasonText, DashFindOrderTitle, ChartDayTitle, ChartMonthTitle, ChartDelivered, ChartFailed, ChartHour, ChartDay, ChartAsTable, ChartNote, ChartMost, AgeDays, AgeHours, AgeMinutes, AgeSeconds, JobsTitle, JobsFilter, JobsAny, JobsKind, JobsOrderPrefix, JobsFrom, JobsTo, JobsSort, JobsSortNewest, JobsSortOldest, JobsSortOrder, JobsPageSize, JobsShow, JobsClear, JobsPages, JobsPrevious, JobsNext, JobsNone, JobsReason, JobsReasonGone, JobsTick, JobsBadState, JobsBadKind, JobsBadSort, JobsBadDate, JobsRangeTooLong, JobsRangeBackwards, JobsBadSize, JobsBadKey, JobsBadReason, JobsTooLong, JobsCauseMissingImage, JobsCauseRejected, BulkRetryTicked, BulkRetryMatching, BulkTitle, BulkWillRetry, BulkFilterWas, BulkTickedWere, BulkAndMore, BulkHow, BulkNone, BulkNoneTicked, BulkTooMany, BulkTooManyTicked, BulkConfirm, BulkDoneTitle, BulkDone, BulkSkipped, BulkErrors, BulkBack,
}

/// The no-break space (U+00A0) between digit groups and next to the
/// currency: an amount never wraps.
const NBSP: char = '\u{a0}';

impl Lang {
    /// An amount of `minor` units (øre, cents; every currency the API
    /// knows has two decimals) in `currency`, written the way this
    /// language writes it (see the module docs). Integer arithmetic only;
    /// every `i64` is shown, `i64::MIN` included.
    pub fn money(self, minor: i64, currency: &Currency) -> String {
        let (group, decimal) = match self {
            Lang::En => (',', '.'),
            Lang::Da => ('.', ','),
            Lang::Nb | Lang::Fi | Lang::Sv => (NBSP, ','),
        };
        let sign = if minor < 0 { "-" } else { "" };
        // unsigned_abs: i64::MIN has no positive i64, but fits in a u64.
        let abs = minor.unsigned_abs();
        let digits = (abs / 100).to_string();
        let cents = abs % 100;
        let mut number = String::with_capacity(digits.len() + digits.len() / 3 + 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                number.push(group);
            }
            number.push(digit);
        }
        number.push(decimal);
        number.push_str(&format!("{cents:02}"));
        let code = currency.as_str();
        match (self, currency) {
            (Lang::En, _) => format!("{sign}{code}{NBSP}{number}"),
            (Lang::Nb, Currency::Nok) => format!("{sign}{number}{NBSP}kr"),
            (Lang::Da, Currency::Dkk) => format!("{sign}{number}{NBSP}kr."),
            (_, Currency::Eur) => format!("{sign}{number}{NBSP}€"),
            _ => format!("{sign}{number}{NBSP}{code}"),
        }
    }

    /// A sum as [`Lang::money`] writes it, or [`Total::OVERFLOW_MARKER`]
    /// when it did not fit (never a wrong number).
    pub fn total(self, total: impl Into<Total>, currency: &Currency) -> String {
        match total.into() {
            Total::Amount(amount) => self.money(amount.minor_units(), currency),
            Total::Overflow => Total::OVERFLOW_MARKER.to_owned(),
        }
    }

    /// The date and time as this language writes them (a
    /// [`jiff`] `strftime` format, with the zone's abbreviation): see the
    /// module docs.
    pub fn datetime_format(self) -> &'static str {
        match self {
            Lang::En | Lang::Sv => "%Y-%m-%d %H:%M:%S %Z",
            Lang::Nb => "%d.%m.%Y %H:%M:%S %Z",
            Lang::Da => "%d.%m.%Y %H.%M.%S %Z",
            Lang::Fi => "%-d.%-m.%Y %-H.%M.%S %Z",
        }
    }

    /// A day and month as this language writes them short (chart labels).
    pub fn day_month_format(self) -> &'static str {
        match self {
            Lang::En | Lang::Sv => "%m-%d",
            Lang::Nb | Lang::Da => "%d.%m",
            Lang::Fi => "%-d.%-m.",
        }
    }
}

impl Lang {
    /// The app's button label of a category in this language (an unknown
    /// category shows as sent).
    pub fn category_label(
        self,
        category: &vipps_om::CategoryType,
    ) -> std::borrow::Cow<'static, str> {
        use vipps_om::CategoryType as C;
        let key = match category {
            C::General => T::CatGeneral,
            C::Receipt => T::CatReceipt,
            C::OrderConfirmation => T::CatOrderConfirmation,
            C::Delivery => T::CatDelivery,
            C::Ticket => T::CatTicket,
            C::Booking => T::CatBooking,
            other => return std::borrow::Cow::Owned(other.as_str().to_owned()),
        };
        std::borrow::Cow::Borrowed(self.t(key))
    }

    /// Where the customer sees the order: "in the Vipps app", "i
    /// MobilePay-appen".
    pub fn in_app(self, app: &str) -> String {
        self.t_args(T::InApp, &[("app", app)])
    }

    /// What an outbox job delivers, in words.
    pub fn job_kind(self, kind: vipps_om_outbox::JobKind) -> &'static str {
        use vipps_om_outbox::JobKind as K;
        match kind {
            K::Image => self.t(T::KindImage),
            K::CategoryV2 => self.t(T::KindCategoryV2),
            K::CategoryV3 => self.t(T::KindCategoryV3),
            K::Receipt => self.t(T::KindReceipt),
        }
    }

    /// The short name of a quantity unit (an unknown unit shows as sent).
    pub fn unit(self, unit: &vipps_om::QuantityUnit) -> std::borrow::Cow<'static, str> {
        use vipps_om::QuantityUnit as U;
        let key = match unit {
            U::Pcs => T::UnitPcs,
            U::Kg => T::UnitKg,
            U::Km => T::UnitKm,
            U::Minute => T::UnitMinute,
            U::Litre => T::UnitLitre,
            U::Kwh => T::UnitKwh,
            other => return std::borrow::Cow::Owned(other.as_str().to_lowercase()),
        };
        std::borrow::Cow::Borrowed(self.t(key))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    #[test]
    fn accept_language_picks_the_best_known() {
        assert_eq!(
            Lang::from_accept_language("nb-NO,nb;q=0.9,en;q=0.8"),
            Lang::Nb
        );
        assert_eq!(Lang::from_accept_language("de,en;q=0.5,no;q=0.4"), Lang::En);
        assert_eq!(Lang::from_accept_language("nn;q=0.9,en;q=0.1"), Lang::Nb);
        assert_eq!(Lang::from_accept_language("fr"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("nb;q=0,en"), Lang::En);
        assert_eq!(Lang::from_accept_language("da-DK,da;q=0.9"), Lang::Da);
        assert_eq!(Lang::from_accept_language("de;q=0.9,fi;q=0.8"), Lang::Fi);
        assert_eq!(Lang::from_accept_language("sv-SE,en;q=0.9"), Lang::Sv);
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
            assert_eq!(
                vipps_om::Language::from_code(lang.code()),
                Some(lang.library())
            );
        }
    }

    #[test]
    fn every_language_names_categories_job_kinds_and_units_in_its_own_words() {
        use vipps_om::{CategoryType, QuantityUnit};
        use vipps_om_outbox::JobKind;
        for lang in &Lang::ALL[1..] {
            for c in crate::views::forms::CATEGORIES {
                assert_ne!(lang.category_label(&c), c.button_label(), "{lang:?} {c:?}");
            }
            for k in JobKind::ALL {
                assert_ne!(lang.job_kind(k), k.describe(), "{lang:?} {k:?}");
            }
        }
        assert_eq!(Lang::Nb.unit(&QuantityUnit::Pcs), "stk");
        assert_eq!(Lang::Fi.unit(&QuantityUnit::Pcs), "kpl");
        assert_eq!(Lang::En.unit(&QuantityUnit::Pcs), "pcs");
        assert_eq!(
            Lang::En.category_label(&CategoryType::Delivery),
            "Track delivery"
        );
        assert_eq!(Lang::Da.in_app("MobilePay"), "i MobilePay-appen");
        assert_eq!(Lang::En.in_app("Vipps"), "in the Vipps app");
    }

    fn messages(name: &str, source: &str) -> BTreeMap<String, BTreeSet<String>> {
        vipps_om::messages::ftl_placeables(source).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn every_language_has_every_message_with_the_same_placeables() {
        let english = messages("en", Lang::En.source());
        for lang in &Lang::ALL[1..] {
            let other = messages(lang.code(), lang.source());
            assert_eq!(
                other.keys().collect::<Vec<_>>(),
                english.keys().collect::<Vec<_>>(),
                "{}: the same messages as English",
                lang.code()
            );
            for (id, vars) in &english {
                assert_eq!(&other[id], vars, "{}: {id}'s placeables", lang.code());
            }
        }
        // Every key has its message, and every message its key.
        let ids: BTreeSet<String> = T::ALL.iter().map(|k| k.id()).collect();
        assert_eq!(ids.len(), T::ALL.len(), "two keys with one id");
        assert_eq!(
            ids,
            english.keys().cloned().collect::<BTreeSet<_>>(),
            "the keys! list and en/console.ftl"
        );
        // Every bundle loaded every message (the files parse as the
        // bundles read them).
        for lang in Lang::ALL {
            for &key in T::ALL {
                assert!(
                    BUNDLES[lang as usize].has_message(&key.id()),
                    "{lang:?} {key:?}"
                );
                assert!(!lang.t(key).is_empty(), "{lang:?} {key:?}");
            }
        }
        assert_eq!(T::SignIn.id(), "sign-in");
        assert_eq!(T::KindCategoryV2.id(), "kind-category-v2");
    }

    #[test]
    fn the_languages_say_it_in_their_own_words() {
        let texts = |key| Lang::ALL.map(|l| l.t(key));
        assert_eq!(
            texts(T::SignIn),
            [
                "Sign in",
                "Logg inn",
                "Log ind",
                "Kirjaudu sisään",
                "Logga in"
            ]
        );
        // No language is a copy of another for a sentence.
        let status = Lang::ALL.map(|l| l.t_args(T::CustomerStatusWaiting, &[("app", "Vipps")]));
        let distinct: BTreeSet<_> = status.iter().collect();
        assert_eq!(distinct.len(), 5, "{status:?}");
        assert!(
            status
                .iter()
                .all(|s| s.contains("Vipps") && !s.contains('{')),
            "{status:?}"
        );
    }

    #[test]
    fn amounts_in_each_languages_format() {
        let nbsp = |s: &str| s.replace(' ', "\u{a0}");
        let cases = [
            (Lang::En, 123_450, Currency::Nok, "NOK 1,234.50"),
            (Lang::Nb, 123_450, Currency::Nok, "1 234,50 kr"),
            (Lang::Da, 123_450, Currency::Dkk, "1.234,50 kr."),
            (Lang::Fi, 123_450, Currency::Eur, "1 234,50 €"),
            (Lang::Sv, 123_450, Currency::Nok, "1 234,50 NOK"),
            (Lang::Nb, 123_450, Currency::Eur, "1 234,50 €"),
            (Lang::Nb, 123_450, Currency::Dkk, "1 234,50 DKK"),
            (Lang::Da, 123_450, Currency::Nok, "1.234,50 NOK"),
            (Lang::Fi, 123_450, Currency::Dkk, "1 234,50 DKK"),
            (Lang::En, 123_450, Currency::Eur, "EUR 1,234.50"),
            (Lang::Nb, 0, Currency::Nok, "0,00 kr"),
            (Lang::Nb, 5, Currency::Nok, "0,05 kr"),
            (Lang::Nb, -5, Currency::Nok, "-0,05 kr"),
            (Lang::Nb, 99_999, Currency::Nok, "999,99 kr"),
            (Lang::Nb, 100_000, Currency::Nok, "1 000,00 kr"),
            (Lang::Da, -19_900, Currency::Dkk, "-199,00 kr."),
            (Lang::En, -123_456_789, Currency::Nok, "-NOK 1,234,567.89"),
            (Lang::Sv, 1, Currency::Unknown("SEK".into()), "0,01 SEK"),
            (
                Lang::Nb,
                i64::MAX,
                Currency::Nok,
                "92 233 720 368 547 758,07 kr",
            ),
            (
                Lang::Nb,
                i64::MIN,
                Currency::Nok,
                "-92 233 720 368 547 758,08 kr",
            ),
            (
                Lang::Da,
                i64::MIN,
                Currency::Dkk,
                "-92.233.720.368.547.758,08 kr.",
            ),
            (
                Lang::En,
                i64::MIN,
                Currency::Eur,
                "-EUR 92,233,720,368,547,758.08",
            ),
        ];
        for (lang, minor, currency, want) in cases {
            assert_eq!(lang.money(minor, &currency), nbsp(want), "{lang:?} {minor}");
        }
        assert_eq!(
            Lang::Fi.total(Total::Overflow, &Currency::Eur),
            Total::OVERFLOW_MARKER
        );
        assert_eq!(
            Lang::Fi.total(vipps_om::Amount::minor(250), &Currency::Eur),
            nbsp("2,50 €")
        );
    }

    #[test]
    fn dates_in_each_languages_format() {
        let oslo = jiff::tz::TimeZone::get("Europe/Oslo").unwrap();
        let at = |s: &str| {
            s.parse::<jiff::Timestamp>()
                .unwrap()
                .to_zoned_datetime(oslo.clone())
        };
        let winter = at("2025-11-25T15:56:00Z");
        let morning = at("2025-01-05T08:05:09Z");
        let cases = [
            (
                Lang::En,
                "2025-11-25 16:56:00 CET",
                "2025-01-05 09:05:09 CET",
            ),
            (
                Lang::Nb,
                "25.11.2025 16:56:00 CET",
                "05.01.2025 09:05:09 CET",
            ),
            (
                Lang::Da,
                "25.11.2025 16.56.00 CET",
                "05.01.2025 09.05.09 CET",
            ),
            (Lang::Fi, "25.11.2025 16.56.00 CET", "5.1.2025 9.05.09 CET"),
            (
                Lang::Sv,
                "2025-11-25 16:56:00 CET",
                "2025-01-05 09:05:09 CET",
            ),
        ];
        for (lang, late, early) in cases {
            assert_eq!(winter.strftime(lang.datetime_format()).to_string(), late);
            assert_eq!(morning.strftime(lang.datetime_format()).to_string(), early);
        }
    }
}
