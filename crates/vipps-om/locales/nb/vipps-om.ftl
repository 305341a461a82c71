# Meldingene til vipps-om-biblioteket, på norsk (bokmål).
# Se en/vipps-om.ftl for hva hver melding og hver { $plassholder } er.

## Meldinger til kunden

customer-already-registered = Ordredetaljene dine er allerede registrert.
customer-not-found = Vi fant ikke ordredetaljene for denne betalingen.
customer-retrying = Ordredetaljene er ikke i appen ennå. De blir sendt på nytt om kort tid.
customer-failed = Ordredetaljene kunne ikke legges til i appen. Våre ansatte har fått beskjed.

## Meldinger til ansatte

staff-validation = forespørselen ble ikke sendt fordi den har problemer: { $errors } feil, { $warnings } advarsler
staff-validation-first = forespørselen ble ikke sendt fordi den har problemer: { $errors } feil, { $warnings } advarsler; første: { $path }: { $message }
staff-receipt-exists = ordredetaljer (kvittering) for { $payment_type }-ordre { $order_id } er allerede sendt og kan ikke endres; ingenting å gjøre med mindre de var feil (kontakt da Vipps MobilePay)
staff-image-exists = et bilde med id { $image_id } er allerede lastet opp og kan ikke erstattes; bruk det igjen, eller last opp det nye bildet med en ny id
staff-image-not-uploaded = det finnes ikke noe bilde med id { $image_id } for dette brukerstedet; last opp bildet med den id-en først, og send kategorien på nytt
staff-not-found = { $what } ble ikke funnet{ $api_says }; sjekk id-en og betalingstypen (ECOM eller RECURRING), og at den hører til dette brukerstedet
staff-bad-request = Vipps MobilePay avviste forespørselen{ $api_says }
staff-unauthorized-subscription-key = ikke autorisert: abonnementsnøkkelen (Ocp-Apim-Subscription-Key) ble ikke godtatt; kopier primærnøkkelen til salgsenheten fra portal.vipps.no og sjekk at den hører til samme miljø (produksjon eller test){ $detail }
staff-unauthorized-access-token = ikke autorisert: tilgangstokenet ble ikke godtatt, heller ikke et nytt; sjekk at klient-id, hemmelighet, abonnementsnøkkel og Merchant-Serial-Number hører til samme salgsenhet{ $detail }
staff-unauthorized-client-credentials = ikke autorisert: token-tjenesten godtok ikke klient-id-en eller klienthemmeligheten; kopier dem på nytt fra portal.vipps.no (de er forskjellige i produksjon og test){ $detail }
staff-forbidden = ingen tilgang{ $detail }: salgsenheten har kanskje ikke Order Management aktivert, eller Merchant-Serial-Number hører ikke til disse API-nøklene; sjekk begge på portal.vipps.no
staff-partner-not-linked = ingen tilgang{ $detail }: disse partnernøklene er ikke koblet til salgsenhet { $msn }: koble den i partnerportalen, eller bruk brukerstedets egne nøkler
staff-rate-limited = Vipps MobilePay begrenser antall forespørsler; sakk farten og prøv igjen
staff-rate-limited-wait = Vipps MobilePay begrenser antall forespørsler (ba om å vente { $seconds } s); sakk farten og prøv igjen
staff-api = Vipps MobilePay svarte { $status }{ $api_says }
staff-api-server = Vipps MobilePay svarte { $status }{ $api_says }; dette er et problem hos Vipps MobilePay, prøv igjen senere
staff-api-conflict = Vipps MobilePay svarte { $status }{ $api_says }; dataene er i konflikt med det som allerede er lagret
staff-timeout = Vipps MobilePay svarte ikke på { $endpoint } innen tidsfristen; tjenesten kan være treg eller nede, prøv igjen senere
staff-transport = fikk ikke kontakt med Vipps MobilePay ({ $message }); sjekk nettverket og base-URL-en
staff-decode = Vipps MobilePay svarte { $status } med et innhold denne klienten ikke kan lese ({ $reason }): { $snippet }
staff-encode = { $what } kunne ikke kodes som JSON ({ $reason }); ingenting ble sendt
staff-config = konfigurasjonsproblem: { $message }
