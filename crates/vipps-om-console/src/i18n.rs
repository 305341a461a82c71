//! The interface in English and Norwegian (bokmål): the language comes
//! from `?lang=`, then the `console_lang` cookie, then `Accept-Language`.

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Norwegian bokmål.
    Nb,
}

impl Lang {
    /// The code used in `lang=` and the cookie, and in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }

    /// Reads a code (`en`, `nb`; `no` and `nn` read as bokmål).
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
            _ => None,
        }
    }

    /// The best match of an `Accept-Language` header (English when
    /// nothing matches).
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for part in header.split(',') {
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

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Nb,
            Lang::Nb => Lang::En,
        }
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nb => "Norsk (bokmål)",
        }
    }
}

macro_rules! texts {
    ($($key:ident => $en:literal, $nb:literal;)*) => {
        /// A piece of interface text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum T { $($key),* }

        impl Lang {
            /// The text in this language.
            pub fn t(self, key: T) -> &'static str {
                match (self, key) {
                    $((Lang::En, T::$key) => $en, (Lang::Nb, T::$key) => $nb,)*
                }
            }
        }
    };
}

texts! {
    AppName => "Order support", "Ordrestøtte";
    SkipToContent => "Skip to content", "Hopp til innhold";
    SignIn => "Sign in", "Logg inn";
    SignOut => "Sign out", "Logg ut";
    Username => "User name", "Brukernavn";
    Password => "Password", "Passord";
    SignInFailed => "The user name or password is wrong.", "Feil brukernavn eller passord.";
    SignInLocked => "Too many failed sign-ins for this user name from this address. Wait 15 minutes and try again, or ask an administrator.", "For mange mislykkede innlogginger for dette brukernavnet fra denne adressen. Vent 15 minutter og prøv igjen, eller spør en administrator.";
    SignInTooMany => "Too many failed sign-ins from this address. Wait 15 minutes and try again.", "For mange mislykkede innlogginger fra denne adressen. Vent 15 minutter og prøv igjen.";
    SignInBusy => "The console is busy checking other sign-ins. Try again in a few seconds.", "Konsollen er opptatt med andre innlogginger. Prøv igjen om noen sekunder.";
    TooLongAtMost => "too long: at most", "for langt: høyst";
    Characters => "characters", "tegn";
    ShortenAndRetry => "Shorten it and try again.", "Gjør det kortere og prøv igjen.";
    ImageFileShort => "Image file", "Bildefil";
    TooLargeAtMost => "too large: at most", "for stor: høyst";
    ThisFileIs => "this file is", "denne filen er";
    ChooseSmaller => "Choose a smaller file (or save it smaller) and try again.", "Velg en mindre fil (eller lagre den mindre) og prøv igjen.";
    FormTooLarge => "The form is too large: at most", "Skjemaet er for stort: høyst";
    UrlTooLong => "The address (URL) is too long: at most", "Adressen (URL-en) er for lang: høyst";
    AuditPages => "Pages of the audit log", "Sider i revisjonsloggen";
    NewerEntries => "Newer entries", "Nyere oppføringer";
    OlderEntries => "Older entries", "Eldre oppføringer";
    AuditCursorBad => "The page position (before / after) is not a row number. Start again from the newest entries.", "Sideposisjonen (before / after) er ikke et radnummer. Start på nytt fra de nyeste oppføringene.";
    SignedInAs => "Signed in as", "Logget inn som";
    RoleViewer => "viewer", "leser";
    RoleEditor => "editor", "redaktør";
    NavOrders => "Find order", "Finn ordre";
    NavAudit => "Audit log", "Revisjonslogg";
    Language => "Language", "Språk";
    FindOrder => "Find an order", "Finn en ordre";
    OrderId => "Order id", "Ordre-id";
    OrderIdHint => "The orderId (eCom, Recurring) or reference (ePayment) of the payment.", "Betalingens orderId (eCom, Recurring) eller referanse (ePayment).";
    PaymentType => "Payment type", "Betalingstype";
    PaymentEcom => "eCom / ePayment", "eCom / ePayment";
    PaymentRecurring => "Recurring", "Faste betalinger (Recurring)";
    Search => "Show order", "Vis ordre";
    AsCustomerSees => "As the customer sees it in the app", "Slik kunden ser den i appen";
    NotInApp => "The app shows nothing for this payment yet: no category and no order details were delivered.", "Appen viser ingenting for denne betalingen ennå: ingen kategori og ingen ordredetaljer er levert.";
    TryOtherType => "Check the payment type: the same id may belong to the other one.", "Sjekk betalingstypen: samme id kan høre til den andre.";
    ApiFailed => "The Order Management API could not be asked", "Kunne ikke spørre Order Management-API-et";
    KeysRefused => "Vipps MobilePay did not accept the console's keys, so it cannot show what the app shows. Ask whoever runs the console to check its client id, secret, subscription key and Merchant-Serial-Number (`vipps-om doctor` checks them).", "Vipps MobilePay godtok ikke nøklene til konsollen, så den kan ikke vise hva appen viser. Be den som drifter konsollen om å sjekke klient-id, hemmelighet, abonnementsnøkkel og Merchant-Serial-Number (`vipps-om doctor` sjekker dem).";
    CategoryButton => "Category button", "Kategoriknapp";
    NoCategory => "No category button is set.", "Ingen kategoriknapp er satt.";
    Label => "Label", "Tekst";
    Category => "Category", "Kategori";
    Link => "Link", "Lenke";
    NotAWebLink => "not a web link: the app will not open it; replace it with an https address", "ikke en nettlenke: appen åpner den ikke; bytt den ut med en https-adresse";
    ImageId => "Image id", "Bilde-id";
    NoImage => "no image", "ingen bilde";
    OrderDetails => "Order details (receipt)", "Ordredetaljer (kvittering)";
    NoReceipt => "No order details were sent.", "Ingen ordredetaljer er sendt.";
    Items => "Items", "Varer";
    Shipping => "Shipping", "Frakt";
    Returns => "Returns", "Returer";
    Product => "Product", "Produkt";
    Quantity => "Quantity", "Antall";
    UnitPrice => "Unit price", "Enhetspris";
    Discount => "Discount", "Rabatt";
    TaxRate => "Tax rate", "MVA-sats";
    Total => "Total", "Sum";
    TotalsPerRate => "Totals per tax rate", "Summer per MVA-sats";
    ExclTax => "Excl. tax", "Eks. MVA";
    Tax => "Tax", "MVA";
    InclTax => "Incl. tax", "Inkl. MVA";
    NoRate => "no rate", "ingen sats";
    Tip => "Tip", "Tips";
    TotalDiscount => "Total discount", "Samlet rabatt";
    ReceiptNumber => "Receipt number", "Kvitteringsnummer";
    Barcode => "Barcode", "Strekkode";
    PosId => "Terminal", "Terminal";
    PaidWith => "Paid with", "Betalt med";
    Deliveries => "Deliveries from the outbox", "Leveranser fra utboksen";
    NoDeliveries => "The outbox has no deliveries for this order.", "Utboksen har ingen leveranser for denne ordren.";
    OutboxUnavailable => "The delivery history could not be read", "Leveransehistorikken kunne ikke leses";
    Job => "Job", "Jobb";
    What => "What", "Hva";
    State => "State", "Status";
    Attempts => "Attempts", "Forsøk";
    JobMerchant => "Merchant (MSN)", "Brukersted (MSN)";
    Created => "Queued", "Lagt i kø";
    DeliveredAt => "Delivered", "Levert";
    LastError => "What went wrong", "Hva gikk galt";
    FieldsRejected => "Fields the API rejected", "Felter API-et avviste";
    NextStep => "What happens next", "Hva skjer videre";
    NextAttempt => "Next attempt", "Neste forsøk";
    StatePending => "waiting", "venter";
    StateInFlight => "being delivered", "leveres nå";
    StateDelivered => "delivered", "levert";
    StateFailed => "failed", "feilet";
    NextFailed => "Nothing, until someone fixes the cause and retries it. Later jobs of this order wait for it.", "Ingenting, før noen retter årsaken og prøver igjen. Senere jobber for ordren venter på den.";
    NextPending => "A worker will try it", "En arbeider vil prøve den";
    NextBlocked => "Waits for an earlier job of this order:", "Venter på en tidligere jobb for ordren:";
    NextDone => "Nothing: it is in the app.", "Ingenting: den er i appen.";
    NextInFlight => "A worker is sending it now.", "En arbeider sender den nå.";
    Retry => "Retry delivery", "Prøv levering igjen";
    RetryConfirm => "Retry this delivery?", "Prøve denne leveransen igjen?";
    RetryExplain => "The job goes back into the queue and a worker sends it again, with the same content. Fix the cause first (for example, upload a missing image).", "Jobben legges tilbake i køen og en arbeider sender den igjen, med samme innhold. Rett årsaken først (for eksempel last opp et manglende bilde).";
    RetryDone => "The delivery is queued again. A worker will send it shortly; reload the order to see the result.", "Leveransen er lagt i kø igjen. En arbeider sender den snart; last ordren på nytt for å se resultatet.";
    RetryRefused => "This job cannot be retried", "Denne jobben kan ikke prøves igjen";
    Confirm => "Yes, do it", "Ja, gjør det";
    Cancel => "Cancel", "Avbryt";
    BackToOrder => "Back to the order", "Tilbake til ordren";
    EditCategory => "Set or replace the category link", "Sett eller bytt kategorilenke";
    CategoryUrl => "Link (https address of the order on your site)", "Lenke (https-adressen til ordren på nettstedet deres)";
    ImageIdOptional => "Image id (optional, an uploaded image)", "Bilde-id (valgfri, et opplastet bilde)";
    Review => "Review", "Se over";
    ReviewCategory => "Check the new category link", "Sjekk den nye kategorilenken";
    ReplacesCurrent => "This replaces the current button:", "Dette erstatter dagens knapp:";
    Problems => "Problems", "Problemer";
    Warnings => "Warnings", "Advarsler";
    FixProblems => "Fix these problems and review again.", "Rett disse problemene og se over igjen.";
    CategoryQueued => "The category link is queued for delivery. The outbox worker sends it to the API in this order's sequence; the app shows it once it is delivered (see the delivery history below).", "Kategorilenken er lagt i kø for levering. Utboksarbeideren sender den til API-et i ordrens rekkefølge; appen viser den når den er levert (se leveransehistorikken under).";
    QueuedHow => "What the outbox was told:", "Hva utboksen fikk beskjed om:";
    MovedBehindImage => "Moved behind the image it names (it gets a new job number):", "Flyttet bak bildet den viser til (den får et nytt jobbnummer):";
    WorkerNote => "Fixes are not sent from this page: they are queued in the outbox and delivered by its worker (vipps-om outbox run), one job of an order at a time, so no older delivery overwrites them. If no worker runs, they wait.", "Rettelser sendes ikke fra denne siden: de legges i utboksen og leveres av arbeideren dens (vipps-om outbox run), én jobb per ordre om gangen, så ingen eldre leveranse overskriver dem. Kjører ingen arbeider, venter de.";
    Busy => "A worker is delivering a job of this order right now. Try again in a moment.", "En arbeider leverer en jobb for denne ordren akkurat nå. Prøv igjen om et øyeblikk.";
    NeedsOrder => "An image is delivered in an order's sequence: open the order first and upload it from there.", "Et bilde leveres i en ordres rekkefølge: åpne ordren først og last det opp derfra.";
    ActionFailed => "It did not work", "Det virket ikke";
    UploadImage => "Upload an image", "Last opp et bilde";
    ImageFile => "Image file (PNG or JPEG, at least 167 px high, at most 2 MB)", "Bildefil (PNG eller JPEG, minst 167 px høy, høyst 2 MB)";
    ImageIdChoice => "Image id (optional; empty: derived from the file, so uploading twice is safe)", "Bilde-id (valgfri; tom: laget fra filen, så to opplastinger er trygt)";
    ReviewImage => "Check the image", "Sjekk bildet";
    ImageFacts => "The file", "Filen";
    Upload => "Upload", "Last opp";
    ImageQueued => "The image is queued for upload. The outbox worker sends it in this order's sequence, before any category of this order queued after it.", "Bildet er lagt i kø for opplasting. Utboksarbeideren sender det i ordrens rekkefølge, før kategorier for ordren som legges i kø etter det.";
    FailedNamesImage => "A failed category delivery of this order names this image. Retry it (or fix the category) and it is sent after the image:", "En feilet kategorileveranse for ordren viser til dette bildet. Prøv den igjen (eller rett kategorien), så sendes den etter bildet:";
    UseInCategory => "Use it in this order's category link", "Bruk det i ordrens kategorilenke";
    UploadExpired => "The upload is no longer waiting (it expired or was used). Choose the file again.", "Opplastingen venter ikke lenger (den utløp eller er brukt). Velg filen igjen.";
    EditorActions => "Fix this order", "Rett denne ordren";
    ViewerNote => "You can look, but only editors can change orders.", "Du kan se, men bare redaktører kan endre ordrer.";
    Forbidden => "Not allowed", "Ikke tillatt";
    ForbiddenText => "Your account may look at orders but not change them. Ask an administrator for the editor role.", "Kontoen din kan se ordrer, men ikke endre dem. Be en administrator om redaktørrollen.";
    CsrfFailed => "The form could not be accepted", "Skjemaet kunne ikke godtas";
    CsrfFailedText => "It did not come from this console's own page, or your session changed. Go back, reload the page and try again.", "Det kom ikke fra konsollens egen side, eller økten din er endret. Gå tilbake, last siden på nytt og prøv igjen.";
    NotFound => "Page not found", "Fant ikke siden";
    ServerError => "Something went wrong on the server", "Noe gikk galt på serveren";
    ServerErrorText => "The error is logged. Try again; if it persists, tell the team that runs the console.", "Feilen er logget. Prøv igjen; hvis den vedvarer, si fra til de som drifter konsollen.";
    InvalidInput => "The input is not valid", "Inndataene er ugyldige";
    AuditTitle => "Audit log", "Revisjonslogg";
    AuditExplain => "Every sign-in and every change made in this console, newest first. The log can only be added to.", "Hver innlogging og hver endring gjort i konsollen, nyeste først. Loggen kan bare utvides.";
    When => "When", "Når";
    Who => "Who", "Hvem";
    Action => "Action", "Handling";
    Order => "Order", "Ordre";
    Detail => "Detail", "Detaljer";
    Outcome => "Result", "Resultat";
    NoAudit => "Nothing logged yet.", "Ingenting logget ennå.";
    AuditOfOrder => "Audit log of this order", "Revisjonslogg for ordren";
    CatGeneral => "Order details", "Ordredetaljer";
    CatReceipt => "Receipt", "Kvittering";
    CatOrderConfirmation => "Order confirmation", "Ordrebekreftelse";
    CatDelivery => "Track delivery", "Spor leveransen";
    CatTicket => "Ticket", "Billett";
    CatBooking => "Booking", "Reservasjon";
    KindImage => "image", "bilde";
    KindCategoryV2 => "category (v2)", "kategori (v2)";
    KindCategoryV3 => "category (v3)", "kategori (v3)";
    KindReceipt => "order details (receipt)", "ordredetaljer (kvittering)";
    UnitPcs => "pcs", "stk";
    UnitKg => "kg", "kg";
    UnitKm => "km", "km";
    UnitMinute => "min", "min";
    UnitLitre => "l", "l";
    UnitKwh => "kWh", "kWh";
    Bytes => "bytes", "byte";
    OutcomeOk => "ok", "ok";
    OutcomeRefused => "refused", "avvist";
    OutcomeFailed => "failed", "feilet";
    CauseTitle => "Why it failed", "Hvorfor den feilet";
    FixTitle => "What to do", "Hva du gjør";
    TechnicalDetail => "What the API answered", "Hva API-et svarte";
    CauseMissingImage => "The category link names an image that was never uploaded:", "Kategorilenken viser til et bilde som aldri er lastet opp:";
    FixMissingImage => "Upload that image (the form is filled in with its id), then retry this delivery.", "Last opp bildet (skjemaet er fylt ut med id-en), og prøv leveringen igjen.";
    UploadThisImage => "Upload image", "Last opp bildet";
    CauseDifferent => "The app already has different content for this order or image id, and it cannot be replaced.", "Appen har allerede annet innhold for denne ordren eller bilde-id-en, og det kan ikke erstattes.";
    FixDifferent => "Nothing to retry: the customer sees what was stored first. For an image, upload it under a new id and use that id in the category link.", "Ingenting å prøve igjen: kunden ser det som ble lagret først. For et bilde: last det opp med en ny id og bruk den id-en i kategorilenken.";
    CauseRejected => "The API refused some fields of what the shop sent (listed below).", "API-et avviste noen felter i det butikken sendte (se listen under).";
    FixRejected => "A retry sends the same content and fails again. Correct the fields: set the category link again here, or ask the shop's developers to send corrected order details.", "Et nytt forsøk sender det samme innholdet og feiler igjen. Rett feltene: sett kategorilenken på nytt her, eller be butikkens utviklere sende rettede ordredetaljer.";
    CauseKeys => "The API refused the console's API keys.", "API-et avviste konsollens API-nøkler.";
    FixKeys => "Ask the team that runs the console to check the API keys and the merchant serial number; retry after that.", "Be de som drifter konsollen sjekke API-nøklene og salgsstedsnummeret (MSN); prøv igjen etterpå.";
    CauseNoOrder => "The API does not know this payment.", "API-et kjenner ikke denne betalingen.";
    FixNoOrder => "Check that the payment exists and that its payment type is right; retry once it does.", "Sjekk at betalingen finnes og at betalingstypen stemmer; prøv igjen når den finnes.";
    CauseUnreachable => "The API could not be reached or answered with an error, attempt after attempt.", "API-et kunne ikke nås eller svarte med feil, forsøk etter forsøk.";
    FixUnreachable => "Retry in a while. If it keeps failing, tell the team that runs the console.", "Prøv igjen om en stund. Feiler det fortsatt, si fra til de som drifter konsollen.";
    PageViewsOff => "Page views are not logged (start the console with --audit-page-views to log them).", "Sidevisninger logges ikke (start konsollen med --audit-page-views for å logge dem).";
    TimesIn => "Times are shown in", "Tidene vises i";
    UtcOnHover => "(UTC when you point at them)", "(UTC når du peker på dem)";
    Updated => "updated job", "oppdaterte jobb";
    RetriedJob => "sent job again", "sendte jobb på nytt";
    MovedJob => "moved job", "flyttet jobb";
    BehindImageAs => "behind its image as job", "bak bildet som jobb";
    EnqueuedJob => "queued new job", "la ny jobb i kø";
    // Accounts, the category image and merchants (issue 17, console17b).
    RoleAdmin => "admin", "administrator";
    NavAccounts => "Accounts", "Kontoer";
    NavPassword => "Change password", "Bytt passord";
    AccountsTitle => "Accounts", "Kontoer";
    AccountsExplain => "The staff who may sign in. Viewers look; editors also fix orders; admins also manage accounts. Every change here is written to the audit log, never a password.", "De ansatte som kan logge inn. Lesere ser; redaktører retter også ordrer; administratorer styrer også kontoer. Hver endring her skrives i revisjonsloggen, aldri et passord.";
    AccountsMore => "More accounts exist than are listed; shown: the first by name,", "Det finnes flere kontoer enn listen viser; vist: de første etter navn,";
    AccountRole => "Role", "Rolle";
    AccountStatus => "Status", "Status";
    AccountChanged => "Last changed", "Sist endret";
    AccountEnabled => "can sign in", "kan logge inn";
    AccountDisabled => "disabled", "deaktivert";
    PasswordOneTime => "one-time password, valid until", "engangspassord, gyldig til";
    PasswordOneTimeExpired => "one-time password, expired", "engangspassord, utløpt";
    PasswordOwn => "own password", "eget passord";
    Manage => "Manage", "Administrer";
    AddAccount => "Add a member of staff", "Legg til en ansatt";
    AddAccountButton => "Add, with a one-time password", "Legg til, med engangspassord";
    UsernameHint => "Letters, digits and . - _ @; at most 64 characters.", "Bokstaver, sifre og . - _ @; høyst 64 tegn.";
    AccountAdded => "Account added", "Konto lagt til";
    OneTimePasswordFor => "One-time password for", "Engangspassord for";
    OneTimeExplain => "Give it to the person yourself, in person or through a channel you trust. It is shown only this once and is stored only as a hash. It works until the time below, for one sign-in: they must then choose their own password.", "Gi det til personen selv, ansikt til ansikt eller gjennom en kanal du stoler på. Det vises bare denne ene gangen og lagres bare som en hash. Det virker til tidspunktet under, for én innlogging: da må personen velge sitt eget passord.";
    ValidUntil => "Valid until", "Gyldig til";
    BackToAccounts => "Back to the accounts", "Tilbake til kontoene";
    AccountTitle => "Account", "Konto";
    ChangeRole => "Change role", "Endre rolle";
    DisableAccount => "Disable the account", "Deaktiver kontoen";
    EnableAccount => "Enable the account", "Aktiver kontoen";
    DisableExplain => "A disabled account cannot sign in, and its sessions end at once.", "En deaktivert konto kan ikke logge inn, og øktene den har avsluttes med en gang.";
    ResetPassword => "Reset the password", "Tilbakestill passordet";
    ResetExplain => "Makes a new one-time password (shown once) and ends the account's sessions; the old password stops working.", "Lager et nytt engangspassord (vises én gang) og avslutter kontoens økter; det gamle passordet slutter å virke.";
    PasswordResetDone => "Password reset", "Passordet er tilbakestilt";
    LastAdmin => "This is the last enabled admin: it cannot be disabled or given a lower role. Make another account admin first.", "Dette er den siste aktive administratoren: den kan ikke deaktiveres eller få en lavere rolle. Gjør en annen konto til administrator først.";
    AccountNotFound => "No account has this number. Go back to the accounts and choose one from the list.", "Ingen konto har dette nummeret. Gå tilbake til kontoene og velg en fra listen.";
    AccountExists => "An account of that name exists already. Choose another name, or open that account to reset its password.", "En konto med det navnet finnes allerede. Velg et annet navn, eller åpne kontoen for å tilbakestille passordet.";
    BadUsername => "The user name must be 1 to 64 characters: letters, digits and . - _ @.", "Brukernavnet må være 1 til 64 tegn: bokstaver, sifre og . - _ @.";
    BadRole => "Choose a role: viewer, editor or admin.", "Velg en rolle: leser, redaktør eller administrator.";
    RoleChanged => "The role is changed. It applies from the account's next request.", "Rollen er endret. Den gjelder fra kontoens neste forespørsel.";
    AccountDisabledDone => "The account is disabled; its sessions have ended.", "Kontoen er deaktivert; øktene er avsluttet.";
    AccountEnabledDone => "The account can sign in again.", "Kontoen kan logge inn igjen.";
    AdminOnly => "Only admins may manage accounts. Ask an admin.", "Bare administratorer kan styre kontoer. Spør en administrator.";
    CurrentPassword => "Current password", "Nåværende passord";
    NewPassword => "New password (at least 12 characters)", "Nytt passord (minst 12 tegn)";
    NewPasswordAgain => "New password again", "Nytt passord igjen";
    MustChangePassword => "You signed in with a one-time password. Choose your own password to continue.", "Du logget inn med et engangspassord. Velg ditt eget passord for å fortsette.";
    PasswordChanged => "Your password is changed. Your other sessions have ended.", "Passordet ditt er byttet. De andre øktene dine er avsluttet.";
    PasswordsDiffer => "The two new passwords differ. Type the same one twice.", "De to nye passordene er ulike. Skriv det samme to ganger.";
    PasswordTooShortAtLeast => "The new password is too short: at least", "Det nye passordet er for kort: minst";
    PasswordSame => "Choose a password other than the current one.", "Velg et annet passord enn det nåværende.";
    CurrentPasswordWrong => "The current password is wrong.", "Det nåværende passordet er feil.";
    SignInDisabled => "This account is disabled. Ask an admin to enable it.", "Denne kontoen er deaktivert. Be en administrator aktivere den.";
    SignInExpired => "This one-time password has expired. Ask an admin to reset your password.", "Dette engangspassordet er utløpt. Be en administrator tilbakestille passordet ditt.";
    CategoryImageAlt => "The category's image", "Kategoriens bilde";
    ImageNotInOutbox => "The image itself is not in this outbox's deliveries of the order (it was uploaded another way); the API does not give images back.", "Selve bildet finnes ikke i utboksens leveranser for ordren (det ble lastet opp på annen måte); API-et gir ikke bilder tilbake.";
    ImageNotFound => "This order's deliveries in the outbox hold no image with this id.", "Ordrens leveranser i utboksen har ikke noe bilde med denne id-en.";
    ImageNotPicture => "The stored file is not a PNG or JPEG image, so the console does not show it.", "Den lagrede filen er ikke et PNG- eller JPEG-bilde, så konsollen viser den ikke.";
    ImageStoredTooLarge => "The stored file is larger than an image may be (2 MB), so the console does not show it.", "Den lagrede filen er større enn et bilde kan være (2 MB), så konsollen viser den ikke.";
    ConsoleMerchant => "Merchant (MSN) of this console", "Brukersted (MSN) for konsollen";
    OtherMerchantsJobs => "Deliveries for the same order id of other merchants are in the outbox but not shown (this console works for one merchant):", "Leveranser for samme ordre-id hos andre brukersteder finnes i utboksen, men vises ikke (konsollen jobber for ett brukersted):";
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
        match self {
            Lang::En => format!("in the {app} app"),
            Lang::Nb => format!("i {app}-appen"),
        }
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
    }

    #[test]
    fn bokmal_names_categories_job_kinds_and_units_in_norwegian() {
        use vipps_om::{CategoryType, QuantityUnit};
        use vipps_om_outbox::JobKind;
        for c in crate::views::forms::CATEGORIES {
            assert_ne!(Lang::Nb.category_label(&c), c.button_label(), "{c:?}");
        }
        for k in JobKind::ALL {
            assert_ne!(Lang::Nb.job_kind(k), k.describe(), "{k:?}");
        }
        assert_eq!(Lang::Nb.unit(&QuantityUnit::Pcs), "stk");
        assert_eq!(Lang::En.unit(&QuantityUnit::Pcs), "pcs");
        assert_eq!(
            Lang::En.category_label(&CategoryType::Delivery),
            "Track delivery"
        );
    }

    #[test]
    fn both_languages_have_every_text() {
        assert_eq!(Lang::Nb.t(T::SignIn), "Logg inn");
        assert_eq!(Lang::En.t(T::SignIn), "Sign in");
    }
}
