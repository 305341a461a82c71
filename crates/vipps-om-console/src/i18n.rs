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
    // --- Dashboard, /jobs and bulk retry (issue 17) ---
    NavHome => "What needs attention", "Hva trenger oppmerksomhet";
    NavJobs => "All deliveries", "Alle leveranser";
    DashTitle => "What needs attention", "Hva som trenger oppmerksomhet";
    DashFailedTitle => "Failed deliveries, by reason", "Mislykkede leveranser, etter årsak";
    DashNoFailed => "No delivery has failed: nothing to fix.", "Ingen leveranser har feilet: ingenting å rette.";
    DashQueueTitle => "Deliveries still on their way", "Leveranser som fortsatt er på vei";
    DashNothingWaiting => "Nothing is waiting: every delivery has gone through or failed.", "Ingenting venter: alle leveranser er gått gjennom eller har feilet.";
    DashWaiting => "Waiting", "Venter";
    DashRetrying => "Retrying after a failed attempt", "Prøves igjen etter et mislykket forsøk";
    DashInFlight => "Being delivered", "Leveres nå";
    DashFailed => "Failed", "Feilet";
    DashOldest => "Oldest has waited", "Eldste har ventet";
    DashJobs => "jobs", "jobber";
    DashShowJobs => "Show these jobs", "Vis disse jobbene";
    DashFirstFailed => "First failed", "Første feil";
    DashLastFailed => "Last failed", "Siste feil";
    DashExampleJob => "Rejected fields of the newest, job", "Avviste felter i den nyeste, jobb";
    DashMoreReasons => "More reasons than shown: see every failed job", "Flere årsaker enn vist: se alle mislykkede jobber";
    DashNoReasonText => "(no reason was recorded)", "(ingen årsak ble registrert)";
    DashFindOrderTitle => "Find an order", "Finn en ordre";
    ChartDayTitle => "Deliveries and failures per hour, last 24 hours", "Leveranser og feil per time, siste 24 timer";
    ChartMonthTitle => "Deliveries and failures per day, last 30 days", "Leveranser og feil per dag, siste 30 dager";
    ChartDelivered => "Delivered", "Levert";
    ChartFailed => "Failed", "Feilet";
    ChartHour => "Hour starting", "Time fra";
    ChartDay => "Day", "Dag";
    ChartAsTable => "Show the numbers as a table", "Vis tallene som tabell";
    ChartNote => "Failed counts the jobs that failed in that hour or day and are still failed (a retry takes them off).", "Feilet teller jobbene som feilet i den timen eller dagen og fortsatt står som feilet (et nytt forsøk tar dem bort).";
    ChartMost => "Most in one bar:", "Flest i én stolpe:";
    AgeDays => "d", "d";
    AgeHours => "h", "t";
    AgeMinutes => "min", "min";
    AgeSeconds => "s", "s";
    JobsTitle => "All deliveries", "Alle leveranser";
    JobsFilter => "Filter", "Filter";
    JobsAny => "Any", "Alle";
    JobsKind => "Kind", "Type";
    JobsOrderPrefix => "Order id starts with", "Ordre-id begynner med";
    JobsFrom => "Queued from (date)", "Lagt i kø fra (dato)";
    JobsTo => "Queued to (date)", "Lagt i kø til (dato)";
    JobsSort => "Sort", "Sortering";
    JobsSortNewest => "Newest first", "Nyeste først";
    JobsSortOldest => "Oldest first", "Eldste først";
    JobsSortOrder => "By order id", "Etter ordre-id";
    JobsPageSize => "Rows per page", "Rader per side";
    JobsShow => "Show", "Vis";
    JobsClear => "Clear the filter", "Nullstill filteret";
    JobsPages => "Pages of deliveries", "Sider med leveranser";
    JobsPrevious => "Previous page", "Forrige side";
    JobsNext => "Next page", "Neste side";
    JobsNone => "No delivery matches this filter.", "Ingen leveranser passer med filteret.";
    JobsReason => "Only failed jobs with this reason:", "Bare mislykkede jobber med denne årsaken:";
    JobsReasonGone => "No failed job has this reason now (they may have been retried).", "Ingen mislykket jobb har denne årsaken nå (de kan ha blitt prøvd igjen).";
    JobsTick => "Select job", "Velg jobb";
    JobsBadState => "Unknown state: choose one from the list.", "Ukjent status: velg en fra listen.";
    JobsBadKind => "Unknown kind: choose one from the list.", "Ukjent type: velg en fra listen.";
    JobsBadSort => "Unknown sort order: choose one from the list.", "Ukjent sortering: velg en fra listen.";
    JobsBadDate => "A date is written YYYY-MM-DD, for example 2026-12-01.", "En dato skrives ÅÅÅÅ-MM-DD, for eksempel 2026-12-01.";
    JobsRangeTooLong => "The date range is too long: at most this many days:", "Datoperioden er for lang: høyst så mange dager:";
    JobsRangeBackwards => "The date range ends before it starts: swap the dates.", "Datoperioden slutter før den begynner: bytt om datoene.";
    JobsBadSize => "Rows per page must be a whole number from 10 to", "Rader per side må være et helt tall fra 10 til";
    JobsBadKey => "The page link is damaged: start again from the first page.", "Sidelenken er skadet: begynn på nytt fra første side.";
    JobsBadReason => "The reason link is damaged: open it again from the dashboard.", "Årsakslenken er skadet: åpne den på nytt fra oversikten.";
    JobsTooLong => "is too long: at most 128 characters. Shorten it.", "er for lang: høyst 128 tegn. Gjør den kortere.";
    BulkRetryTicked => "Retry the ticked jobs", "Prøv de valgte jobbene igjen";
    BulkRetryMatching => "Retry every failed job matching the filter", "Prøv alle mislykkede jobber som passer med filteret igjen";
    BulkTitle => "Retry failed deliveries", "Prøv mislykkede leveranser igjen";
    BulkWillRetry => "failed jobs will be sent again:", "mislykkede jobber sendes på nytt:";
    BulkFilterWas => "Chosen by the filter:", "Valgt med filteret:";
    BulkTickedWere => "Chosen by ticking them.", "Valgt ved å krysse av.";
    BulkAndMore => "and this many more:", "og så mange til:";
    BulkHow => "Each is retried as from its order's page: a category is moved behind the image it names. Fix the cause first, or they fail again.", "Hver prøves igjen som fra ordresiden: en kategori flyttes bak bildet den viser til. Rett årsaken først, ellers feiler de igjen.";
    BulkNone => "No failed job matches: nothing to retry.", "Ingen mislykkede jobber passer: ingenting å prøve igjen.";
    BulkNoneTicked => "Tick at least one job, or retry every failed job matching the filter.", "Kryss av minst én jobb, eller prøv alle mislykkede jobber som passer med filteret.";
    BulkTooMany => "More failed jobs match than one action may retry. Narrow the filter (by date, merchant or reason) and retry in parts. At most:", "Flere mislykkede jobber passer enn én handling kan prøve igjen. Snevre inn filteret (dato, brukersted eller årsak) og ta det i deler. Høyst:";
    BulkTooManyTicked => "Too many ticked jobs. At most:", "For mange valgte jobber. Høyst:";
    BulkConfirm => "Retry them", "Prøv dem igjen";
    BulkDoneTitle => "Queued again", "Lagt i kø igjen";
    BulkDone => "jobs are queued again; a worker sends them shortly.", "jobber er lagt i kø igjen; en arbeider sender dem snart.";
    BulkSkipped => "were no longer failed and were left as they are.", "hadde ikke lenger feilet og ble latt være.";
    BulkErrors => "could not be retried; the audit log names them:", "kunne ikke prøves igjen; revisjonsloggen nevner dem:";
    BulkBack => "Back to the deliveries", "Tilbake til leveransene";
    // --- end of issue 17 (dashboard, /jobs, bulk retry) ---
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
