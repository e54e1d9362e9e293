//! Every string the frame shows, in en, nl, sv and de. The privacy notice itself and the field
//! labels come from the core (`kuvert_core::notice`), so the notice hashed into the consent
//! receipt is the one the core renders.
//!
//! Strings with a `{}` take one number (see [`tn`]).

#[allow(unused_imports)]
use crate::prelude::*;
use kuvert_core::Locale;

/// A string key. The discriminant indexes each language's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum S {
    Title,
    Language,
    Loading,
    StepService,
    Minutes,
    Continue,
    Back,
    StepSlot,
    Date,
    Time,
    NoSlots,
    StepDetails,
    Required,
    Optional,
    ErrorsSummary,
    ErrRequired,
    ErrTooLong,
    ErrEmail,
    ErrPhone,
    ErrNumber,
    ErrDate,
    ErrControl,
    ErrUnknown,
    WarnSensitive,
    EditNote,
    KeepNote,
    StepNotice,
    ConsentRequired,
    OptionalLegend,
    Book,
    Sending,
    ErrTaken,
    ErrOffline,
    ErrRateLimited,
    ErrTooLarge,
    ErrServer,
    ErrLoad,
    TryAgain,
    StepDone,
    Reference,
    Service,
    When,
    Ics,
    CodeLabel,
    CodeHelp,
    Copy,
    Copied,
    CopyFailed,
    Manage,
    StepManage,
    CancelBooking,
    Cancelled,
    CancelNotFound,
    CancelBadCode,
    SetupError,
    NewBooking,
    Places,
    ErrSlotMissing,
}

const COUNT: usize = S::ErrSlotMissing as usize + 1;

/// Each language's strings as one `&'static str`, each string followed by U+001F (the unit
/// separator). One string per language rather than an array of `&str`: the array's pointer
/// and length pairs were about 0.2 KB brotli of the Wasm.
macro_rules! joined {
    ($($s:literal),* $(,)?) => { concat!($($s, "\u{1f}"),*) };
}

/// How many strings a joined table holds (its separators), for the check below.
const fn count(table: &str) -> usize {
    let b = table.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] == 0x1f {
            n += 1;
        }
        i += 1;
    }
    n
}

// Every language has every string (at compile time).
const _: () =
    assert!(count(EN) == COUNT && count(NL) == COUNT && count(SV) == COUNT && count(DE) == COUNT);

const EN: &str = joined![
    "Book an appointment",
    "Language",
    "Loading…",
    "Choose a service",
    "{} min",
    "Continue",
    "Back",
    "Choose a date and time",
    "Date",
    "Time",
    "There are no free times in the next four weeks.",
    "Your details",
    "required",
    "optional",
    "Please correct the fields marked below.",
    "Please fill this in.",
    "Please use at most {} characters.",
    "Please enter an e-mail address, such as name@example.com.",
    "Please enter a phone number, such as +46 70 123 45 67.",
    "Please enter a whole number from 1 to {}.",
    "Please enter a date written YYYY-MM-DD.",
    "This contains characters that are not allowed.",
    "This form does not ask for this.",
    "Your note seems to contain a card or national ID number. We do not need it: please remove it.",
    "Edit the note",
    "Keep it and continue",
    "Privacy notice and consent",
    "I have read the privacy notice and want to book this appointment.",
    "Optional: tick only what you want",
    "Book",
    "Sending…",
    "That time was just taken. Please choose another; your details are kept.",
    "No connection. Check your connection and try again; nothing you typed is lost.",
    "Too many attempts from your connection. Please wait a minute and try again.",
    "This booking is too large to send. Please shorten your note.",
    "The booking service is not answering. Please try again in a moment; nothing you typed is lost.",
    "The booking form could not be loaded. Please try again later.",
    "Try again",
    "Your booking is confirmed",
    "Booking reference",
    "Service",
    "When",
    "Add to calendar (.ics)",
    "Cancellation code",
    "Keep this code. You need it, with the reference, to cancel. It is shown only once.",
    "Copy code",
    "Copied.",
    "Copying is not possible here: please write the code down.",
    "Cancel a booking",
    "Cancel a booking",
    "Cancel booking",
    "Your booking is cancelled and your details are erased.",
    "No booking matches this reference and code.",
    "The code has 16 letters and digits, as shown when you booked.",
    "This booking form is not set up correctly: the public key in the page's snippet is missing or damaged. If you run this website, copy the snippet again with `kuvert snippet`.",
    "Make another booking",
    "{} left",
    "Please choose a time.",
];

const NL: &str = joined![
    "Een afspraak maken",
    "Taal",
    "Laden…",
    "Kies een dienst",
    "{} min",
    "Verder",
    "Terug",
    "Kies een datum en tijd",
    "Datum",
    "Tijd",
    "Er zijn de komende vier weken geen vrije tijden.",
    "Uw gegevens",
    "verplicht",
    "optioneel",
    "Verbeter de velden die hieronder zijn gemarkeerd.",
    "Vul dit in.",
    "Gebruik hoogstens {} tekens.",
    "Vul een e-mailadres in, zoals naam@voorbeeld.nl.",
    "Vul een telefoonnummer in, zoals +31 6 12345678.",
    "Vul een heel getal van 1 tot en met {} in.",
    "Vul een datum in als JJJJ-MM-DD.",
    "Dit bevat tekens die niet zijn toegestaan.",
    "Dit formulier vraagt hier niet om.",
    "Uw opmerking lijkt een kaart- of BSN-nummer te bevatten. Dat hebben we niet nodig: haal het weg.",
    "Opmerking aanpassen",
    "Laten staan en verder",
    "Privacyverklaring en toestemming",
    "Ik heb de privacyverklaring gelezen en wil deze afspraak maken.",
    "Optioneel: vink alleen aan wat u wilt",
    "Boeken",
    "Versturen…",
    "Die tijd is net bezet. Kies een andere; uw gegevens blijven bewaard.",
    "Geen verbinding. Controleer uw verbinding en probeer het opnieuw; niets van wat u typte gaat verloren.",
    "Te veel pogingen vanaf uw verbinding. Wacht een minuut en probeer het opnieuw.",
    "Deze boeking is te groot om te versturen. Maak uw opmerking korter.",
    "De boekingsdienst antwoordt niet. Probeer het zo opnieuw; niets van wat u typte gaat verloren.",
    "Het boekingsformulier kon niet worden geladen. Probeer het later opnieuw.",
    "Opnieuw proberen",
    "Uw afspraak is bevestigd",
    "Boekingsnummer",
    "Dienst",
    "Wanneer",
    "Aan agenda toevoegen (.ics)",
    "Annuleringscode",
    "Bewaar deze code. U hebt hem, met het boekingsnummer, nodig om te annuleren. Hij wordt maar één keer getoond.",
    "Code kopiëren",
    "Gekopieerd.",
    "Kopiëren kan hier niet: schrijf de code op.",
    "Een afspraak annuleren",
    "Een afspraak annuleren",
    "Afspraak annuleren",
    "Uw afspraak is geannuleerd en uw gegevens zijn gewist.",
    "Geen afspraak met dit boekingsnummer en deze code.",
    "De code heeft 16 letters en cijfers, zoals getoond bij het boeken.",
    "Dit boekingsformulier is niet goed ingesteld: de publieke sleutel in de code van de pagina ontbreekt of is beschadigd. Beheert u deze website, kopieer de code dan opnieuw met `kuvert snippet`.",
    "Nog een afspraak maken",
    "nog {}",
    "Kies een tijd.",
];

const SV: &str = joined![
    "Boka en tid",
    "Språk",
    "Laddar…",
    "Välj en tjänst",
    "{} min",
    "Fortsätt",
    "Tillbaka",
    "Välj datum och tid",
    "Datum",
    "Tid",
    "Det finns inga lediga tider de närmaste fyra veckorna.",
    "Dina uppgifter",
    "obligatoriskt",
    "frivilligt",
    "Rätta fälten som är markerade nedan.",
    "Fyll i det här.",
    "Använd högst {} tecken.",
    "Skriv en e-postadress, till exempel namn@exempel.se.",
    "Skriv ett telefonnummer, till exempel 070-123 45 67.",
    "Skriv ett heltal från 1 till {}.",
    "Skriv ett datum som ÅÅÅÅ-MM-DD.",
    "Det här innehåller tecken som inte är tillåtna.",
    "Formuläret frågar inte efter det här.",
    "Ditt meddelande verkar innehålla ett kortnummer eller personnummer. Det behöver vi inte: ta bort det.",
    "Ändra meddelandet",
    "Behåll och fortsätt",
    "Integritetsinformation och samtycke",
    "Jag har läst integritetsinformationen och vill boka den här tiden.",
    "Frivilligt: kryssa bara i det du vill",
    "Boka",
    "Skickar…",
    "Tiden blev just upptagen. Välj en annan; dina uppgifter finns kvar.",
    "Ingen anslutning. Kontrollera anslutningen och försök igen; inget du skrivit går förlorat.",
    "För många försök från din anslutning. Vänta en minut och försök igen.",
    "Bokningen är för stor för att skickas. Korta ditt meddelande.",
    "Bokningstjänsten svarar inte. Försök igen om en stund; inget du skrivit går förlorat.",
    "Bokningsformuläret kunde inte laddas. Försök igen senare.",
    "Försök igen",
    "Din bokning är bekräftad",
    "Bokningsnummer",
    "Tjänst",
    "När",
    "Lägg till i kalendern (.ics)",
    "Avbokningskod",
    "Spara koden. Du behöver den, tillsammans med bokningsnumret, för att avboka. Den visas bara en gång.",
    "Kopiera koden",
    "Kopierad.",
    "Det går inte att kopiera här: skriv ner koden.",
    "Avboka en tid",
    "Avboka en tid",
    "Avboka",
    "Din bokning är avbokad och dina uppgifter är raderade.",
    "Ingen bokning har det här bokningsnumret och den här koden.",
    "Koden har 16 bokstäver och siffror, som när du bokade.",
    "Bokningsformuläret är inte rätt inställt: den publika nyckeln i sidans kodsnutt saknas eller är skadad. Om du driver webbplatsen, kopiera kodsnutten igen med `kuvert snippet`.",
    "Boka en tid till",
    "{} kvar",
    "Välj en tid.",
];

const DE: &str = joined![
    "Einen Termin buchen",
    "Sprache",
    "Wird geladen…",
    "Leistung wählen",
    "{} Min.",
    "Weiter",
    "Zurück",
    "Datum und Uhrzeit wählen",
    "Datum",
    "Uhrzeit",
    "In den nächsten vier Wochen gibt es keine freien Termine.",
    "Ihre Angaben",
    "Pflichtfeld",
    "freiwillig",
    "Bitte korrigieren Sie die unten markierten Felder.",
    "Bitte füllen Sie dies aus.",
    "Bitte höchstens {} Zeichen.",
    "Bitte eine E-Mail-Adresse eingeben, etwa name@beispiel.de.",
    "Bitte eine Telefonnummer eingeben, etwa +49 30 1234567.",
    "Bitte eine ganze Zahl von 1 bis {} eingeben.",
    "Bitte ein Datum im Format JJJJ-MM-TT eingeben.",
    "Dies enthält nicht erlaubte Zeichen.",
    "Dieses Formular fragt nicht danach.",
    "Ihre Nachricht scheint eine Karten- oder Ausweisnummer zu enthalten. Die brauchen wir nicht: bitte entfernen Sie sie.",
    "Nachricht bearbeiten",
    "Behalten und weiter",
    "Datenschutzhinweis und Einwilligung",
    "Ich habe den Datenschutzhinweis gelesen und möchte diesen Termin buchen.",
    "Freiwillig: kreuzen Sie nur an, was Sie möchten",
    "Buchen",
    "Wird gesendet…",
    "Dieser Termin wurde gerade vergeben. Bitte wählen Sie einen anderen; Ihre Angaben bleiben erhalten.",
    "Keine Verbindung. Prüfen Sie die Verbindung und versuchen Sie es erneut; nichts Eingegebenes geht verloren.",
    "Zu viele Versuche von Ihrer Verbindung. Bitte warten Sie eine Minute und versuchen Sie es erneut.",
    "Diese Buchung ist zu groß zum Senden. Bitte kürzen Sie Ihre Nachricht.",
    "Der Buchungsdienst antwortet nicht. Bitte versuchen Sie es gleich erneut; nichts Eingegebenes geht verloren.",
    "Das Buchungsformular konnte nicht geladen werden. Bitte versuchen Sie es später erneut.",
    "Erneut versuchen",
    "Ihr Termin ist bestätigt",
    "Buchungsnummer",
    "Leistung",
    "Wann",
    "Zum Kalender hinzufügen (.ics)",
    "Stornocode",
    "Bewahren Sie diesen Code auf. Sie brauchen ihn mit der Buchungsnummer zum Stornieren. Er wird nur einmal angezeigt.",
    "Code kopieren",
    "Kopiert.",
    "Kopieren ist hier nicht möglich: bitte notieren Sie den Code.",
    "Einen Termin stornieren",
    "Einen Termin stornieren",
    "Termin stornieren",
    "Ihr Termin ist storniert und Ihre Angaben sind gelöscht.",
    "Keine Buchung passt zu dieser Buchungsnummer und diesem Code.",
    "Der Code hat 16 Buchstaben und Ziffern, wie beim Buchen angezeigt.",
    "Dieses Buchungsformular ist nicht richtig eingerichtet: Der öffentliche Schlüssel im Code-Schnipsel der Seite fehlt oder ist beschädigt. Wenn Sie diese Website betreiben, kopieren Sie den Schnipsel erneut mit `kuvert snippet`.",
    "Noch einen Termin buchen",
    "noch {}",
    "Bitte wählen Sie eine Uhrzeit.",
];

/// The string `s` in `locale`.
pub fn t(locale: Locale, s: S) -> &'static str {
    let table = match locale {
        Locale::Nl => NL,
        Locale::Sv => SV,
        Locale::De => DE,
        _ => EN,
    };
    table.split('\u{1f}').nth(s as usize).unwrap_or_default()
}

/// The string `s` in `locale` with its `{}` replaced by `n`.
pub fn tn(locale: Locale, s: S, n: u32) -> String {
    t(locale, s).replacen("{}", &n.to_string(), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_string_and_the_same_placeholders() {
        let en: Vec<&str> = EN.split('\u{1f}').collect();
        for table in [EN, NL, SV, DE] {
            assert_eq!(table.split('\u{1f}').count(), COUNT + 1);
            assert!(table.ends_with('\u{1f}'));
            for (i, s) in table.split('\u{1f}').take(COUNT).enumerate() {
                assert!(!s.trim().is_empty(), "string {i} is blank");
                assert_eq!(
                    s.matches("{}").count(),
                    en[i].matches("{}").count(),
                    "string {i} ({s}) has different placeholders than in English"
                );
            }
        }
        assert_eq!(t(Locale::En, S::Title), "Book an appointment");
        assert_eq!(t(Locale::Nl, S::Language), "Taal");
        assert_eq!(t(Locale::Sv, S::ErrSlotMissing), "Välj en tid.");
        assert_eq!(tn(Locale::De, S::Minutes, 30), "30 Min.");
    }
}
