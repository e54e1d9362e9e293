//! The GDPR Art. 13 privacy notice, generated from the form schema so it always matches what
//! the form asks.
//!
//! A notice is a list of sections; [`Notice::text`] is its one canonical plain-text spelling,
//! and the notice's identity is the SHA-256 of that text ([`Notice::sha256_hex`]). The consent
//! receipt records that hash, so staff can prove which exact words the customer saw.

#[allow(unused_imports)]
use crate::prelude::*;
use sha2::{Digest, Sha256};

use crate::locale::Locale;
use crate::schema::{FieldKind, FormSchema, LegalBasis};

/// Revision of the wording templates below. Bump it whenever any template text changes; it is
/// recorded in every consent receipt next to the notice's hash.
pub const NOTICE_TEMPLATE_VERSION: u32 = 1;

/// A rendered notice in one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The language it is written in.
    pub locale: Locale,
    /// Title line.
    pub title: String,
    /// Sections in display order.
    pub sections: Vec<NoticeSection>,
}

/// One section: a heading, paragraphs, then a bullet list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeSection {
    /// Section heading.
    pub heading: String,
    /// Paragraphs before the list.
    pub paragraphs: Vec<String>,
    /// Bullet items.
    pub items: Vec<String>,
}

impl Notice {
    /// The canonical text: title, then per section `## heading`, paragraphs, `- item` lines.
    pub fn text(&self) -> String {
        let mut t = String::new();
        t.push_str(&self.title);
        t.push('\n');
        for s in &self.sections {
            t.push_str("\n## ");
            t.push_str(&s.heading);
            t.push('\n');
            for p in &s.paragraphs {
                t.push_str(p);
                t.push('\n');
            }
            for i in &s.items {
                t.push_str("- ");
                t.push_str(i);
                t.push('\n');
            }
        }
        t
    }

    /// SHA-256 of [`Notice::text`].
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.text().as_bytes()).into()
    }

    /// SHA-256 of [`Notice::text`], lowercase hex: the notice's version.
    pub fn sha256_hex(&self) -> String {
        crate::hex(&self.sha256())
    }
}

/// The catalogue's field label in `locale`.
pub fn field_label(kind: FieldKind, locale: Locale) -> &'static str {
    use FieldKind::*;
    use Locale::*;
    match (kind, locale) {
        (Name, En) => "Name",
        (Name, Nl) => "Naam",
        (Name, Sv) => "Namn",
        (Name, De) => "Name",
        (Email, En) => "E-mail",
        (Email, Nl) => "E-mailadres",
        (Email, Sv) => "E-post",
        (Email, De) => "E-Mail",
        (Phone, En) => "Phone",
        (Phone, Nl) => "Telefoon",
        (Phone, Sv) => "Telefon",
        (Phone, De) => "Telefon",
        (Note, En) => "Note",
        (Note, Nl) => "Opmerking",
        (Note, Sv) => "Meddelande",
        (Note, De) => "Nachricht",
        (PartySize, En) => "Number of people",
        (PartySize, Nl) => "Aantal personen",
        (PartySize, Sv) => "Antal personer",
        (PartySize, De) => "Anzahl Personen",
        (DateOfBirth, En) => "Date of birth",
        (DateOfBirth, Nl) => "Geboortedatum",
        (DateOfBirth, Sv) => "Födelsedatum",
        (DateOfBirth, De) => "Geburtsdatum",
        (PostalCode, En) => "Postal code",
        (PostalCode, Nl) => "Postcode",
        (PostalCode, Sv) => "Postnummer",
        (PostalCode, De) => "Postleitzahl",
    }
}

/// The name of a lawful basis in `locale`.
pub fn legal_basis_name(basis: LegalBasis, locale: Locale) -> &'static str {
    use LegalBasis::*;
    use Locale::*;
    match (basis, locale) {
        (Consent, En) => "consent",
        (Consent, Nl) => "toestemming",
        (Consent, Sv) => "samtycke",
        (Consent, De) => "Einwilligung",
        (Contract, En) => "performance of a contract (your booking)",
        (Contract, Nl) => "uitvoering van een overeenkomst (uw boeking)",
        (Contract, Sv) => "fullgörande av avtal (din bokning)",
        (Contract, De) => "Vertragserfüllung (Ihre Buchung)",
        (LegalObligation, En) => "legal obligation",
        (LegalObligation, Nl) => "wettelijke verplichting",
        (LegalObligation, Sv) => "rättslig förpliktelse",
        (LegalObligation, De) => "rechtliche Verpflichtung",
        (VitalInterests, En) => "vital interests",
        (VitalInterests, Nl) => "vitale belangen",
        (VitalInterests, Sv) => "grundläggande intressen",
        (VitalInterests, De) => "lebenswichtige Interessen",
        (PublicTask, En) => "task in the public interest",
        (PublicTask, Nl) => "taak van algemeen belang",
        (PublicTask, Sv) => "uppgift av allmänt intresse",
        (PublicTask, De) => "Aufgabe im öffentlichen Interesse",
        (LegitimateInterests, En) => "legitimate interests",
        (LegitimateInterests, Nl) => "gerechtvaardigd belang",
        (LegitimateInterests, Sv) => "berättigat intresse",
        (LegitimateInterests, De) => "berechtigtes Interesse",
    }
}

/// Template strings of one language. `{…}` marks a value filled in from the schema.
struct Words {
    title: &'static str,
    law: &'static str,
    h_controller: &'static str,
    controller: &'static str,
    dpo: &'static str,
    h_fields: &'static str,
    field: &'static str,
    required: &'static str,
    optional: &'static str,
    booking_facts: &'static str,
    required_consequence: &'static str,
    h_optional: &'static str,
    optional_intro: &'static str,
    h_recipients: &'static str,
    encrypted: &'static str,
    also: &'static str,
    h_retention: &'static str,
    retention: &'static str,
    h_rights: &'static str,
    rights: &'static str,
    erasure: &'static str,
    withdraw: &'static str,
    contact: &'static str,
    h_complaint: &'static str,
    complaint: &'static str,
}

fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::En => &Words {
            title: "Privacy notice: {controller}",
            law: "GDPR",
            h_controller: "Who is responsible for your data",
            controller: "{controller} is the controller of the data you give in this form. Contact: {contact}.",
            dpo: "Data protection officer: {dpo}.",
            h_fields: "What we ask and why",
            field: "{label} ({req}): {purpose} Legal basis: {basis} ({law} Art. 6(1)({point})).",
            required: "required",
            optional: "optional",
            booking_facts: "The service and time you choose (required): to hold your appointment. Legal basis: {basis} ({law} Art. 6(1)(b)).",
            required_consequence: "Without the required details we cannot take your booking. The optional ones you may leave empty.",
            h_optional: "Optional uses, only if you tick them",
            optional_intro: "These boxes start unticked. Legal basis: consent ({law} Art. 6(1)(a)).",
            h_recipients: "Who can read your data",
            encrypted: "Your details are encrypted on your device before they are sent. Only {controller} can open them; the booking service that stores them cannot read them.",
            also: "{controller} also shares them with: {recipient}",
            h_retention: "How long we keep it",
            retention: "Until {days} days after your appointment. Then the booking is erased automatically.",
            h_rights: "Your rights",
            rights: "You can ask {controller} for access to your data and to correct, erase or restrict it, to receive it in a portable form, and you can object to its use ({law} Art. 15-21).",
            erasure: "You can cancel and erase your booking at any time with the cancellation code you receive.",
            withdraw: "Where you gave consent you can withdraw it at any time; this does not affect what was done before you withdrew.",
            contact: "Contact: {contact}.",
            h_complaint: "Complaints",
            complaint: "You have the right to complain to a supervisory authority: {authority}.",
        },
        Locale::Nl => &Words {
            title: "Privacyverklaring: {controller}",
            law: "AVG",
            h_controller: "Wie is verantwoordelijk voor uw gegevens",
            controller: "{controller} is verwerkingsverantwoordelijke voor de gegevens die u in dit formulier invult. Contact: {contact}.",
            dpo: "Functionaris voor gegevensbescherming: {dpo}.",
            h_fields: "Wat we vragen en waarom",
            field: "{label} ({req}): {purpose} Grondslag: {basis} ({law} art. 6 lid 1 sub {point}).",
            required: "verplicht",
            optional: "optioneel",
            booking_facts: "De dienst en het tijdstip die u kiest (verplicht): om uw afspraak vast te leggen. Grondslag: {basis} ({law} art. 6 lid 1 sub b).",
            required_consequence: "Zonder de verplichte gegevens kunnen we uw boeking niet aannemen. De optionele mag u leeg laten.",
            h_optional: "Optioneel gebruik, alleen als u het aanvinkt",
            optional_intro: "Deze vakjes zijn niet aangevinkt. Grondslag: toestemming ({law} art. 6 lid 1 sub a).",
            h_recipients: "Wie uw gegevens kan lezen",
            encrypted: "Uw gegevens worden op uw apparaat versleuteld voordat ze worden verstuurd. Alleen {controller} kan ze openen; de boekingsdienst die ze bewaart kan ze niet lezen.",
            also: "{controller} deelt ze ook met: {recipient}",
            h_retention: "Hoe lang we ze bewaren",
            retention: "Tot {days} dagen na uw afspraak. Daarna wordt de boeking automatisch gewist.",
            h_rights: "Uw rechten",
            rights: "U kunt {controller} vragen om inzage in uw gegevens en om ze te corrigeren, te wissen of de verwerking te beperken, om ze in een overdraagbare vorm te ontvangen, en u kunt bezwaar maken tegen het gebruik ({law} art. 15-21).",
            erasure: "U kunt uw boeking op elk moment annuleren en wissen met de annuleringscode die u ontvangt.",
            withdraw: "Als u toestemming gaf, kunt u die altijd intrekken; dat doet niets af aan wat daarvoor is gebeurd.",
            contact: "Contact: {contact}.",
            h_complaint: "Klachten",
            complaint: "U hebt het recht een klacht in te dienen bij een toezichthouder: {authority}.",
        },
        Locale::Sv => &Words {
            title: "Integritetsmeddelande: {controller}",
            law: "GDPR",
            h_controller: "Vem som ansvarar för dina uppgifter",
            controller: "{controller} är personuppgiftsansvarig för uppgifterna du lämnar i formuläret. Kontakt: {contact}.",
            dpo: "Dataskyddsombud: {dpo}.",
            h_fields: "Vad vi frågar efter och varför",
            field: "{label} ({req}): {purpose} Rättslig grund: {basis} ({law} art. 6.1 {point}).",
            required: "obligatoriskt",
            optional: "frivilligt",
            booking_facts: "Tjänsten och tiden du väljer (obligatoriskt): för att boka din tid. Rättslig grund: {basis} ({law} art. 6.1 b).",
            required_consequence: "Utan de obligatoriska uppgifterna kan vi inte ta emot din bokning. De frivilliga får du lämna tomma.",
            h_optional: "Frivillig användning, bara om du kryssar i",
            optional_intro: "Rutorna är inte ikryssade från början. Rättslig grund: samtycke ({law} art. 6.1 a).",
            h_recipients: "Vem som kan läsa dina uppgifter",
            encrypted: "Dina uppgifter krypteras på din enhet innan de skickas. Bara {controller} kan öppna dem; bokningstjänsten som lagrar dem kan inte läsa dem.",
            also: "{controller} delar dem också med: {recipient}",
            h_retention: "Hur länge vi sparar dem",
            retention: "Till {days} dagar efter din bokade tid. Sedan raderas bokningen automatiskt.",
            h_rights: "Dina rättigheter",
            rights: "Du kan begära tillgång till dina uppgifter hos {controller} och att de rättas, raderas eller begränsas, få ut dem i ett överförbart format, och du kan invända mot användningen ({law} art. 15-21).",
            erasure: "Du kan när som helst avboka och radera din bokning med avbokningskoden du får.",
            withdraw: "Om du har gett samtycke kan du när som helst återkalla det; det påverkar inte det som skett innan.",
            contact: "Kontakt: {contact}.",
            h_complaint: "Klagomål",
            complaint: "Du har rätt att klaga hos en tillsynsmyndighet: {authority}.",
        },
        Locale::De => &Words {
            title: "Datenschutzhinweis: {controller}",
            law: "DSGVO",
            h_controller: "Wer für Ihre Daten verantwortlich ist",
            controller: "{controller} ist Verantwortlicher für die Daten, die Sie in diesem Formular angeben. Kontakt: {contact}.",
            dpo: "Datenschutzbeauftragte(r): {dpo}.",
            h_fields: "Was wir abfragen und warum",
            field: "{label} ({req}): {purpose} Rechtsgrundlage: {basis} ({law} Art. 6 Abs. 1 lit. {point}).",
            required: "Pflichtangabe",
            optional: "freiwillig",
            booking_facts: "Die gewählte Leistung und Uhrzeit (Pflichtangabe): um Ihren Termin festzuhalten. Rechtsgrundlage: {basis} ({law} Art. 6 Abs. 1 lit. b).",
            required_consequence: "Ohne die Pflichtangaben können wir Ihre Buchung nicht annehmen. Freiwillige Angaben dürfen Sie leer lassen.",
            h_optional: "Freiwillige Nutzung, nur wenn Sie zustimmen",
            optional_intro: "Diese Kästchen sind nicht vorausgewählt. Rechtsgrundlage: Einwilligung ({law} Art. 6 Abs. 1 lit. a).",
            h_recipients: "Wer Ihre Daten lesen kann",
            encrypted: "Ihre Angaben werden auf Ihrem Gerät verschlüsselt, bevor sie gesendet werden. Nur {controller} kann sie öffnen; der Buchungsdienst, der sie speichert, kann sie nicht lesen.",
            also: "{controller} gibt sie außerdem weiter an: {recipient}",
            h_retention: "Wie lange wir sie speichern",
            retention: "Bis {days} Tage nach Ihrem Termin. Danach wird die Buchung automatisch gelöscht.",
            h_rights: "Ihre Rechte",
            rights: "Sie können von {controller} Auskunft über Ihre Daten sowie deren Berichtigung, Löschung oder Einschränkung verlangen, sie in einem übertragbaren Format erhalten und der Nutzung widersprechen ({law} Art. 15-21).",
            erasure: "Mit dem Stornierungscode, den Sie erhalten, können Sie Ihre Buchung jederzeit stornieren und löschen.",
            withdraw: "Eine Einwilligung können Sie jederzeit widerrufen; die bis dahin erfolgte Verarbeitung bleibt davon unberührt.",
            contact: "Kontakt: {contact}.",
            h_complaint: "Beschwerden",
            complaint: "Sie haben das Recht, sich bei einer Aufsichtsbehörde zu beschweren: {authority}.",
        },
    }
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    // One pass over the template: text that came from the business (which may itself contain
    // braces) is copied, never re-scanned.
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((key, close)) if values.iter().any(|(k, _)| *k == key) => {
                let value = values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
                out.push_str(value.unwrap_or_default());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Ends a business-written sentence with a full stop, so templates read well.
fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

/// Generates the notice for `schema` in `locale`.
pub fn render(schema: &FormSchema, locale: Locale) -> Notice {
    let w = words(locale);
    let c = &schema.controller;
    let base = [
        ("controller", c.name.trim()),
        ("contact", c.contact.trim()),
        ("law", w.law),
    ];
    let mut sections = Vec::new();

    let mut controller = vec![fill(w.controller, &base)];
    if let Some(dpo) = &c.dpo {
        controller.push(fill(w.dpo, &[("dpo", dpo.trim())]));
    }
    sections.push(NoticeSection {
        heading: w.h_controller.into(),
        paragraphs: controller,
        items: vec![],
    });

    let mut items = vec![fill(
        w.booking_facts,
        &[
            ("basis", legal_basis_name(LegalBasis::Contract, locale)),
            ("law", w.law),
        ],
    )];
    for f in &schema.fields {
        let point = f.legal_basis.article_point().to_string();
        items.push(fill(
            w.field,
            &[
                ("label", field_label(f.kind, locale)),
                ("req", if f.required { w.required } else { w.optional }),
                ("purpose", &sentence(f.purpose.get(locale))),
                ("basis", legal_basis_name(f.legal_basis, locale)),
                ("law", w.law),
                ("point", &point),
            ],
        ));
    }
    sections.push(NoticeSection {
        heading: w.h_fields.into(),
        paragraphs: vec![w.required_consequence.into()],
        items,
    });

    if !schema.optional_purposes.is_empty() {
        sections.push(NoticeSection {
            heading: w.h_optional.into(),
            paragraphs: vec![fill(w.optional_intro, &base)],
            items: schema
                .optional_purposes
                .iter()
                .map(|o| sentence(o.description.get(locale)))
                .collect(),
        });
    }

    sections.push(NoticeSection {
        heading: w.h_recipients.into(),
        paragraphs: vec![fill(w.encrypted, &base)],
        items: schema
            .data_recipients
            .iter()
            .map(|r| {
                fill(
                    w.also,
                    &[
                        ("controller", c.name.trim()),
                        ("recipient", r.get(locale).trim()),
                    ],
                )
            })
            .collect(),
    });

    sections.push(NoticeSection {
        heading: w.h_retention.into(),
        paragraphs: vec![fill(
            w.retention,
            &[("days", &schema.retention_days.to_string())],
        )],
        items: vec![],
    });

    sections.push(NoticeSection {
        heading: w.h_rights.into(),
        paragraphs: vec![
            fill(w.rights, &base),
            w.erasure.into(),
            w.withdraw.into(),
            fill(w.contact, &base),
        ],
        items: vec![],
    });

    sections.push(NoticeSection {
        heading: w.h_complaint.into(),
        paragraphs: vec![fill(
            w.complaint,
            &[("authority", c.complaint_authority.trim())],
        )],
        items: vec![],
    });

    Notice {
        locale,
        title: fill(w.title, &base),
        sections,
    }
}
