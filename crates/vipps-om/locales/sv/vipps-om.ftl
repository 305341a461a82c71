# Meddelandena från vipps-om-biblioteket, på svenska.
# Se en/vipps-om.ftl för vad varje meddelande och varje { $platshållare } är.

## Meddelanden till kunden

customer-already-registered = Dina orderuppgifter är redan registrerade.
customer-not-found = Vi kunde inte hitta orderuppgifterna för den här betalningen.
customer-retrying = Orderuppgifterna finns inte i appen ännu. De skickas igen inom kort.
customer-failed = Orderuppgifterna kunde inte läggas till i appen. Vår personal har fått besked.

## Meddelanden till personalen

staff-validation = begäran skickades inte eftersom den har problem: { $errors } fel, { $warnings } varningar
staff-validation-first = begäran skickades inte eftersom den har problem: { $errors } fel, { $warnings } varningar; första: { $path }: { $message }
staff-receipt-exists = orderuppgifter (kvitto) för { $payment_type }-order { $order_id } har redan skickats och kan inte ändras; inget att göra om de inte var fel (kontakta i så fall Vipps MobilePay)
staff-image-exists = en bild med id { $image_id } har redan laddats upp och kan inte ersättas; återanvänd den, eller ladda upp den nya bilden med ett nytt id
staff-image-not-uploaded = det finns ingen bild med id { $image_id } för den här handlaren; ladda upp bilden med det id:t först och skicka sedan kategorin igen
staff-not-found = { $what } hittades inte{ $api_says }; kontrollera id:t och betalningstypen (ECOM eller RECURRING), och att den hör till den här handlaren
staff-bad-request = Vipps MobilePay avvisade begäran{ $api_says }
staff-unauthorized-subscription-key = obehörig: prenumerationsnyckeln (Ocp-Apim-Subscription-Key) godkändes inte; kopiera försäljningsenhetens primärnyckel från portal.vipps.no och kontrollera att den hör till samma miljö (produktion eller test){ $detail }
staff-unauthorized-access-token = obehörig: åtkomsttoken godkändes inte, inte ens en ny; kontrollera att klient-id, hemlighet, prenumerationsnyckel och Merchant-Serial-Number alla hör till samma försäljningsenhet{ $detail }
staff-unauthorized-client-credentials = obehörig: tokentjänsten godkände inte klient-id:t eller klienthemligheten; kopiera dem igen från portal.vipps.no (de skiljer sig mellan produktion och test){ $detail }
staff-forbidden = åtkomst nekad{ $detail }: försäljningsenheten har kanske inte Order Management aktiverat, eller så hör Merchant-Serial-Number inte till de här API-nycklarna; kontrollera båda på portal.vipps.no
staff-partner-not-linked = åtkomst nekad{ $detail }: de här partnernycklarna är inte kopplade till försäljningsenhet { $msn }: koppla den i partnerportalen, eller använd handlarens egna nycklar
staff-rate-limited = Vipps MobilePay begränsar antalet förfrågningar; sakta ner och försök igen
staff-rate-limited-wait = Vipps MobilePay begränsar antalet förfrågningar (bad om att vänta { $seconds } s); sakta ner och försök igen
staff-api = Vipps MobilePay svarade { $status }{ $api_says }
staff-api-server = Vipps MobilePay svarade { $status }{ $api_says }; det här är ett problem hos Vipps MobilePay, försök igen senare
staff-api-conflict = Vipps MobilePay svarade { $status }{ $api_says }; uppgifterna krockar med det som redan är sparat
staff-timeout = Vipps MobilePay svarade inte på { $endpoint } inom tidsgränsen; tjänsten kan vara långsam eller nere, försök igen senare
staff-transport = kunde inte nå Vipps MobilePay ({ $message }); kontrollera nätverket och bas-URL:en
staff-decode = Vipps MobilePay svarade { $status } med ett innehåll som den här klienten inte kan läsa ({ $reason }): { $snippet }
staff-encode = { $what } kunde inte kodas som JSON ({ $reason }); inget skickades
staff-config = konfigurationsproblem: { $message }
