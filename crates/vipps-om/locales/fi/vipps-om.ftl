# vipps-om-kirjaston viestit suomeksi.
# Katso en/vipps-om.ftl: mitä kukin viesti ja kukin { $paikka } tarkoittaa.

## Viestit asiakkaalle

customer-already-registered = Tilauksesi tiedot on jo rekisteröity.
customer-not-found = Emme löytäneet tämän maksun tilaustietoja.
customer-retrying = Tilaustiedot eivät ole vielä sovelluksessa. Ne lähetetään uudelleen pian.
customer-failed = Tilaustietoja ei voitu lisätä sovellukseen. Henkilökuntamme on saanut tiedon asiasta.

## Viestit henkilökunnalle

staff-validation = pyyntöä ei lähetetty, koska siinä on ongelmia: virheitä { $errors }, varoituksia { $warnings }
staff-validation-first = pyyntöä ei lähetetty, koska siinä on ongelmia: virheitä { $errors }, varoituksia { $warnings }; ensimmäinen: { $path }: { $message }
staff-receipt-exists = { $payment_type }-tilauksen { $order_id } tilaustiedot (kuitti) on jo lähetetty, eikä niitä voi muuttaa; mitään ei tarvitse tehdä, ellei niissä ollut virhettä (ota silloin yhteyttä Vipps MobilePayhin)
staff-image-exists = kuva tunnuksella { $image_id } on jo ladattu, eikä sitä voi korvata; käytä sitä uudelleen tai lataa uusi kuva uudella tunnuksella
staff-image-not-uploaded = tällä kauppiaalla ei ole kuvaa tunnuksella { $image_id }; lataa kuva ensin tällä tunnuksella ja lähetä sitten kategoria uudelleen
staff-not-found = kohdetta { $what } ei löytynyt{ $api_says }; tarkista tunnus ja maksutyyppi (ECOM tai RECURRING) ja että se kuuluu tälle kauppiaalle
staff-bad-request = Vipps MobilePay hylkäsi pyynnön{ $api_says }
staff-unauthorized-subscription-key = ei valtuutusta: tilausavainta (Ocp-Apim-Subscription-Key) ei hyväksytty; kopioi myyntipisteen ensisijainen avain osoitteesta portal.vipps.no ja tarkista, että se kuuluu samaan ympäristöön (tuotanto tai testi){ $detail }
staff-unauthorized-access-token = ei valtuutusta: käyttöoikeustunnusta ei hyväksytty, ei edes uutta; tarkista, että asiakastunnus, salaisuus, tilausavain ja Merchant-Serial-Number kuuluvat kaikki samaan myyntipisteeseen{ $detail }
staff-unauthorized-client-credentials = ei valtuutusta: tunnuspalvelu ei hyväksynyt asiakastunnusta tai asiakassalaisuutta; kopioi ne uudelleen osoitteesta portal.vipps.no (ne ovat eri tuotannossa ja testissä){ $detail }
staff-forbidden = pääsy estetty{ $detail }: myyntipisteellä ei ehkä ole Order Managementia käytössä, tai Merchant-Serial-Number ei kuulu näille API-avaimille; tarkista molemmat osoitteessa portal.vipps.no
staff-partner-not-linked = pääsy estetty{ $detail }: näitä kumppaniavaimia ei ole liitetty myyntipisteeseen { $msn }: liitä se kumppaniportaalissa tai käytä kauppiaan omia avaimia
staff-rate-limited = Vipps MobilePay rajoittaa pyyntöjen määrää; hidasta ja yritä uudelleen
staff-rate-limited-wait = Vipps MobilePay rajoittaa pyyntöjen määrää (pyysi odottamaan { $seconds } s); hidasta ja yritä uudelleen
staff-api = Vipps MobilePay vastasi { $status }{ $api_says }
staff-api-server = Vipps MobilePay vastasi { $status }{ $api_says }; vika on Vipps MobilePayn puolella, yritä myöhemmin uudelleen
staff-api-conflict = Vipps MobilePay vastasi { $status }{ $api_says }; tiedot ovat ristiriidassa jo tallennettujen kanssa
staff-timeout = Vipps MobilePay ei vastannut kutsuun { $endpoint } määräajassa; palvelu voi olla hidas tai poissa käytöstä, yritä myöhemmin uudelleen
staff-transport = Vipps MobilePayhin ei saatu yhteyttä ({ $message }); tarkista verkko ja perus-URL
staff-decode = Vipps MobilePay vastasi { $status } sisällöllä, jota tämä asiakasohjelma ei osaa lukea ({ $reason }): { $snippet }
staff-encode = kohdetta { $what } ei voitu koodata JSON-muotoon ({ $reason }); mitään ei lähetetty
staff-config = asetusongelma: { $message }
