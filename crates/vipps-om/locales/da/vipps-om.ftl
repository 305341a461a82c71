# Beskederne fra vipps-om-biblioteket, på dansk.
# Se en/vipps-om.ftl for, hvad hver besked og hver { $pladsholder } er.

## Beskeder til kunden

customer-already-registered = Dine ordredetaljer er allerede registreret.
customer-not-found = Vi kunne ikke finde ordredetaljerne for denne betaling.
customer-retrying = Ordredetaljerne er ikke i appen endnu. De bliver sendt igen om lidt.
customer-failed = Ordredetaljerne kunne ikke føjes til appen. Vores medarbejdere har fået besked.

## Beskeder til medarbejdere

staff-validation = forespørgslen blev ikke sendt, fordi den har problemer: { $errors } fejl, { $warnings } advarsler
staff-validation-first = forespørgslen blev ikke sendt, fordi den har problemer: { $errors } fejl, { $warnings } advarsler; første: { $path }: { $message }
staff-receipt-exists = ordredetaljer (kvittering) for { $payment_type }-ordre { $order_id } er allerede sendt og kan ikke ændres; intet at gøre, medmindre de var forkerte (kontakt så Vipps MobilePay)
staff-image-exists = et billede med id { $image_id } er allerede uploadet og kan ikke erstattes; genbrug det, eller upload det nye billede med et nyt id
staff-image-not-uploaded = der findes intet billede med id { $image_id } for denne forretning; upload billedet med det id først, og send så kategorien igen
staff-not-found = { $what } blev ikke fundet{ $api_says }; tjek id'et og betalingstypen (ECOM eller RECURRING), og at den hører til denne forretning
staff-bad-request = Vipps MobilePay afviste forespørgslen{ $api_says }
staff-unauthorized-subscription-key = ikke autoriseret: abonnementsnøglen (Ocp-Apim-Subscription-Key) blev ikke godkendt; kopiér salgsenhedens primære nøgle fra portal.vipps.no, og tjek, at den hører til samme miljø (produktion eller test){ $detail }
staff-unauthorized-access-token = ikke autoriseret: adgangstokenet blev ikke godkendt, heller ikke et nyt; tjek, at klient-id, hemmelighed, abonnementsnøgle og Merchant-Serial-Number alle hører til samme salgsenhed{ $detail }
staff-unauthorized-client-credentials = ikke autoriseret: token-tjenesten godkendte ikke klient-id'et eller klienthemmeligheden; kopiér dem igen fra portal.vipps.no (de er forskellige i produktion og test){ $detail }
staff-forbidden = adgang nægtet{ $detail }: salgsenheden har måske ikke Order Management aktiveret, eller Merchant-Serial-Number hører ikke til disse API-nøgler; tjek begge på portal.vipps.no
staff-partner-not-linked = adgang nægtet{ $detail }: disse partnernøgler er ikke koblet til salgsenhed { $msn }: kobl den i partnerportalen, eller brug forretningens egne nøgler
staff-rate-limited = Vipps MobilePay begrænser antallet af forespørgsler; sæt tempoet ned, og prøv igen
staff-rate-limited-wait = Vipps MobilePay begrænser antallet af forespørgsler (bad om at vente { $seconds } s); sæt tempoet ned, og prøv igen
staff-api = Vipps MobilePay svarede { $status }{ $api_says }
staff-api-server = Vipps MobilePay svarede { $status }{ $api_says }; det er et problem hos Vipps MobilePay, prøv igen senere
staff-api-conflict = Vipps MobilePay svarede { $status }{ $api_says }; dataene er i konflikt med det, der allerede er gemt
staff-timeout = Vipps MobilePay svarede ikke på { $endpoint } inden for tidsgrænsen; tjenesten er måske langsom eller nede, prøv igen senere
staff-transport = kunne ikke få forbindelse til Vipps MobilePay ({ $message }); tjek netværket og base-URL'en
staff-decode = Vipps MobilePay svarede { $status } med et indhold, som denne klient ikke kan læse ({ $reason }): { $snippet }
staff-encode = { $what } kunne ikke kodes som JSON ({ $reason }); intet blev sendt
staff-config = konfigurationsproblem: { $message }
