//! Transfer QR codes: the payload a banking app reads, and its drawing.
//!
//! - EPC QR code (European Payments Council, EPC069-12 version 002): a SEPA credit transfer in
//!   euros. Twelve lines: `BCD`, version `002`, character set `1` (UTF-8), `SCT`, the BIC
//!   (optional inside the EEA), the beneficiary's name (70), IBAN, `EUR` and the amount,
//!   purpose (4), a structured creditor reference (35) *or* a text (140), and a note to the
//!   payer (70); trailing empty lines dropped; at most 331 bytes.
//! - Swiss QR-bill (SIX, Swiss Implementation Guidelines for the QR-bill 2.3): `SPC`, `0200`,
//!   `1`, the account, the creditor as a structured address (`S`), seven empty lines for the
//!   ultimate creditor, amount and currency (CHF or EUR), the debtor (or seven empty lines),
//!   the reference type and reference (`QRR` only with a QR-IBAN, `SCOR` or `NON` with an
//!   ordinary IBAN), the message (140), `EPD`, and the billing information (140); lines
//!   separated by CR LF; at most 997 characters.
//!
//! Both codes are drawn with error correction level M, as both specifications require.

use qrcode::{Color, EcLevel, QrCode};

use super::{BankingError, CreditorReference, Iban, QrReference};

/// Cents as the two-decimal amount both codes carry, between 0.01 and 999 999 999.99.
fn amount_text(field: &'static str, minor: i64) -> Result<String, BankingError> {
    if !(1..=99_999_999_999).contains(&minor) {
        return Err(BankingError::new(
            field,
            "the amount must be between 0.01 and 999 999 999.99",
        ));
    }
    Ok(format!("{}.{:02}", minor / 100, minor % 100))
}

/// `value` checked for its length in characters and for line breaks (which would shift every
/// following line of a payload).
fn text<'a>(field: &'static str, value: &'a str, max: usize) -> Result<&'a str, BankingError> {
    if value.chars().any(char::is_control) {
        return Err(BankingError::new(
            field,
            "line breaks and control characters are not allowed",
        ));
    }
    if value.chars().count() > max {
        return Err(BankingError::new(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(value)
}

fn required<'a>(field: &'static str, value: &'a str, max: usize) -> Result<&'a str, BankingError> {
    if value.trim().is_empty() {
        return Err(BankingError::new(field, "required"));
    }
    text(field, value.trim(), max)
}

/// A SEPA credit transfer in euros, for an EPC QR code.
#[derive(Debug, Clone)]
pub struct EpcTransfer<'a> {
    /// The beneficiary's name.
    pub name: &'a str,
    pub iban: &'a Iban,
    pub bic: Option<&'a str>,
    /// In cents.
    pub amount_minor: i64,
    /// A structured creditor reference; exclusive with `text`.
    pub reference: Option<&'a CreditorReference>,
    /// The remittance text, when there is no structured reference.
    pub text: Option<&'a str>,
}

/// The text of the EPC QR code for `transfer`.
pub fn epc_payload(transfer: &EpcTransfer<'_>) -> Result<String, BankingError> {
    if transfer.reference.is_some() && transfer.text.is_some() {
        return Err(BankingError::new(
            "reference",
            "a transfer carries a structured reference or a text, not both",
        ));
    }
    let bic = match transfer.bic {
        Some(bic) => text("bic", bic, 11)?,
        None => "",
    };
    let lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic,
        required("name", transfer.name, 70)?,
        transfer.iban.electronic(),
        &format!("EUR{}", amount_text("amount", transfer.amount_minor)?),
        "",
        transfer
            .reference
            .map(CreditorReference::as_str)
            .unwrap_or(""),
        match transfer.text {
            Some(t) => text("text", t, 140)?,
            None => "",
        },
        "",
    ];
    let last = lines.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
    let payload = lines[..=last].join("\n");
    if payload.len() > 331 {
        return Err(BankingError::new(
            "text",
            "the EPC QR code holds at most 331 bytes: shorten the name or the text",
        ));
    }
    Ok(payload)
}

/// A structured postal address, as a QR-bill carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: String,
    /// The street, without the number (optional).
    pub street: Option<String>,
    /// The building number (optional).
    pub building: Option<String>,
    pub postcode: String,
    pub town: String,
    /// Two letters (ISO 3166-1).
    pub country: String,
}

impl Address {
    /// Its seven payload lines, checked.
    fn lines(&self, who: &'static str) -> Result<[String; 7], BankingError> {
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(BankingError::new(
                who,
                "the country is two letters (CH, FR, …)",
            ));
        }
        Ok([
            "S".to_string(),
            required(who, &self.name, 70)?.to_string(),
            text(who, self.street.as_deref().unwrap_or("").trim(), 70)?.to_string(),
            text(who, self.building.as_deref().unwrap_or("").trim(), 16)?.to_string(),
            required(who, &self.postcode, 16)?.to_string(),
            required(who, &self.town, 35)?.to_string(),
            country,
        ])
    }
}

/// A QR-bill's reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillReference {
    /// A QR reference: only, and always, to a QR-IBAN.
    Qr(QrReference),
    /// A creditor reference, to an ordinary IBAN.
    Creditor(CreditorReference),
    /// None (the message may say what the payment is for), to an ordinary IBAN.
    None,
}

/// A Swiss QR-bill.
#[derive(Debug, Clone)]
pub struct QrBill<'a> {
    pub creditor_iban: &'a Iban,
    pub creditor: &'a Address,
    /// In cents; `None` leaves it to the payer.
    pub amount_minor: Option<i64>,
    /// `CHF` or `EUR`.
    pub currency: &'a str,
    pub debtor: Option<&'a Address>,
    pub reference: BillReference,
    /// The unstructured message.
    pub message: Option<&'a str>,
}

/// The text of the QR-bill's QR code.
pub fn qr_bill_payload(bill: &QrBill<'_>) -> Result<String, BankingError> {
    if !matches!(bill.creditor_iban.country(), "CH" | "LI") {
        return Err(BankingError::new(
            "iban",
            "a QR-bill is paid to a Swiss or Liechtenstein account",
        ));
    }
    if !matches!(bill.currency, "CHF" | "EUR") {
        return Err(BankingError::new("currency", "a QR-bill is in CHF or EUR"));
    }
    let qr_iban = bill.creditor_iban.is_qr_iban();
    let (kind, reference) = match (&bill.reference, qr_iban) {
        (BillReference::Qr(r), true) => ("QRR", r.as_str()),
        (BillReference::Creditor(r), false) => ("SCOR", r.as_str()),
        (BillReference::None, false) => ("NON", ""),
        (_, true) => {
            return Err(BankingError::new(
                "reference",
                "a QR-IBAN needs a QR reference",
            ))
        }
        (BillReference::Qr(_), false) => {
            return Err(BankingError::new(
                "reference",
                "a QR reference needs a QR-IBAN",
            ))
        }
    };
    let amount = match bill.amount_minor {
        Some(minor) => amount_text("amount", minor)?,
        None => String::new(),
    };
    let mut lines: Vec<String> = vec![
        "SPC".into(),
        "0200".into(),
        "1".into(),
        bill.creditor_iban.electronic().into(),
    ];
    lines.extend(bill.creditor.lines("creditor")?);
    lines.extend(std::iter::repeat_n(String::new(), 7));
    lines.push(amount);
    lines.push(bill.currency.into());
    match bill.debtor {
        Some(debtor) => lines.extend(debtor.lines("debtor")?),
        None => lines.extend(std::iter::repeat_n(String::new(), 7)),
    }
    lines.push(kind.into());
    lines.push(reference.into());
    lines.push(text("message", bill.message.unwrap_or("").trim(), 140)?.into());
    lines.push("EPD".into());
    let payload = lines.join("\r\n");
    if payload.chars().count() > 997 {
        return Err(BankingError::new(
            "message",
            "a QR-bill's code holds at most 997 characters: shorten the addresses or the message",
        ));
    }
    Ok(payload)
}

/// A QR code to draw: its text, and whether it carries the Swiss cross (a QR-bill's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub payload: String,
    pub swiss_cross: bool,
}

/// Modules around the code, white.
const QUIET: usize = 4;

/// The code's modules, dark or not, row by row, with the quiet zone; and its side.
fn modules(code: &Code) -> Result<(Vec<bool>, usize), BankingError> {
    let qr = QrCode::with_error_correction_level(code.payload.as_bytes(), EcLevel::M)
        .map_err(|e| BankingError::new("payload", format!("cannot be drawn as a QR code: {e}")))?;
    let width = qr.width();
    let side = width + 2 * QUIET;
    let colors = qr.to_colors();
    let mut dark = vec![false; side * side];
    for y in 0..width {
        for x in 0..width {
            dark[(y + QUIET) * side + x + QUIET] = colors[y * width + x] == Color::Dark;
        }
    }
    Ok((dark, side))
}

/// The Swiss cross of a QR-bill's code, in module units from the code's top-left corner
/// (quiet zone included): the white frame's square, the black square, and the white cross's
/// two bars, each `(x, y, w, h)`. The logo is 7 mm on a 46 mm code; the black square 6 mm;
/// the cross's arms are 6/32 of the square wide and 20/32 long, as on the flag.
fn swiss_cross(side: usize) -> [(f64, f64, f64, f64); 4] {
    let inner = (side - 2 * QUIET) as f64;
    let centre = side as f64 / 2.0;
    let frame = inner * 7.0 / 46.0;
    let black = inner * 6.0 / 46.0;
    let arm = black * 6.0 / 32.0;
    let long = black * 20.0 / 32.0;
    [
        (centre - frame / 2.0, centre - frame / 2.0, frame, frame),
        (centre - black / 2.0, centre - black / 2.0, black, black),
        (centre - long / 2.0, centre - arm / 2.0, long, arm),
        (centre - arm / 2.0, centre - long / 2.0, arm, long),
    ]
}

/// How a [`Code`] is drawn: what a browser or a file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Scalable, one unit per module: for pages and print.
    Svg,
    /// Eight pixels per module: for phones and mails.
    Png,
}

impl Picture {
    pub fn content_type(self) -> &'static str {
        match self {
            Picture::Svg => "image/svg+xml",
            Picture::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Picture::Svg => "svg",
            Picture::Png => "png",
        }
    }
}

/// `code` drawn as `picture`: the one place the edges (HTTP, command line) draw a code.
pub fn draw(code: &Code, picture: Picture) -> Result<Vec<u8>, BankingError> {
    match picture {
        Picture::Svg => svg(code).map(String::into_bytes),
        Picture::Png => png(code, 8),
    }
}

/// The code as SVG, one unit per module.
pub fn svg(code: &Code) -> Result<String, BankingError> {
    let (dark, side) = modules(code)?;
    let mut path = String::new();
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        path.push_str(&format!("M{} {}h1v1h-1z", i % side, i / side));
    }
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/>"
    );
    if code.swiss_cross {
        let [frame, black, bar, post] = swiss_cross(side);
        for ((x, y, w, h), fill) in [
            (frame, "#fff"),
            (black, "#000"),
            (bar, "#fff"),
            (post, "#fff"),
        ] {
            svg.push_str(&format!(
                "<rect x=\"{x:.3}\" y=\"{y:.3}\" width=\"{w:.3}\" height=\"{h:.3}\" fill=\"{fill}\"/>"
            ));
        }
    }
    svg.push_str("</svg>");
    Ok(svg)
}

/// The code as a greyscale PNG, `module_px` pixels per module (1 to 32).
pub fn png(code: &Code, module_px: u32) -> Result<Vec<u8>, BankingError> {
    if !(1..=32).contains(&module_px) {
        return Err(BankingError::new("size", "1 to 32 pixels per module"));
    }
    let (dark, side) = modules(code)?;
    let px = module_px as usize;
    let size = side * px;
    let mut pixels: Vec<u8> = (0..size * size)
        .map(|i| {
            if dark[(i / size / px) * side + (i % size) / px] {
                0
            } else {
                255
            }
        })
        .collect();
    if code.swiss_cross {
        let scale = px as f64;
        for ((x, y, w, h), value) in swiss_cross(side).into_iter().zip([255u8, 0, 255, 255]) {
            let (x0, y0) = ((x * scale).round() as usize, (y * scale).round() as usize);
            let (x1, y1) = (
                ((x + w) * scale).round() as usize,
                ((y + h) * scale).round() as usize,
            );
            for row in y0..y1.min(size) {
                pixels[row * size + x0..row * size + x1.min(size)].fill(value);
            }
        }
    }
    let edge = u32::try_from(size).map_err(|_| BankingError::new("size", "too large"))?;
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, edge, edge);
    encoder.set_color(::png::ColorType::Grayscale);
    encoder.set_depth(::png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels))
        .map_err(|e| BankingError::new("png", e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(code: &Code) -> String {
        let png_bytes = png(code, 4).expect("drawn");
        let decoder = ::png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        let (w, h) = (info.width as usize, info.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code");
        grids[0].decode().expect("decodes").1
    }

    fn association() -> Address {
        Address {
            name: "Monnaie Moléson".into(),
            street: Some("Rue de Bourg".into()),
            building: Some("12".into()),
            postcode: "1003".into(),
            town: "Lausanne".into(),
            country: "CH".into(),
        }
    }

    #[test]
    fn an_epc_code_carries_the_transfer_line_by_line_and_decodes() {
        let iban = Iban::parse("FR76 3000 6000 0112 3456 7890 189").expect("valid");
        let reference = CreditorReference::new("LEM000000042").expect("valid");
        let payload = epc_payload(&EpcTransfer {
            name: "Association Léman",
            iban: &iban,
            bic: Some("AGRIFRPP"),
            amount_minor: 2050,
            reference: Some(&reference),
            text: None,
        })
        .expect("payload");
        let lines: Vec<&str> = payload.split('\n').collect();
        assert_eq!(
            lines,
            [
                "BCD",
                "002",
                "1",
                "SCT",
                "AGRIFRPP",
                "Association Léman",
                "FR7630006000011234567890189",
                "EUR20.50",
                "",
                reference.as_str()
            ]
        );
        let code = Code {
            payload: payload.clone(),
            swiss_cross: false,
        };
        assert_eq!(decoded(&code), payload);
        assert!(svg(&code).expect("svg").starts_with("<svg"));
    }

    #[test]
    fn an_epc_code_refuses_what_a_bank_would() {
        let iban = Iban::parse("FR76 3000 6000 0112 3456 7890 189").expect("valid");
        let reference = CreditorReference::new("X1").expect("valid");
        let base = EpcTransfer {
            name: "Asso",
            iban: &iban,
            bic: None,
            amount_minor: 100,
            reference: None,
            text: Some("Top-up 42"),
        };
        assert!(epc_payload(&base).expect("ok").ends_with("\n\nTop-up 42"));
        let both = EpcTransfer {
            reference: Some(&reference),
            ..base.clone()
        };
        assert_eq!(epc_payload(&both).expect_err("both").field(), "reference");
        let zero = EpcTransfer {
            amount_minor: 0,
            ..base.clone()
        };
        assert_eq!(epc_payload(&zero).expect_err("zero").field(), "amount");
        let broken = EpcTransfer {
            name: "A\nB",
            ..base.clone()
        };
        assert_eq!(epc_payload(&broken).expect_err("newline").field(), "name");
        let nameless = EpcTransfer { name: " ", ..base };
        assert_eq!(epc_payload(&nameless).expect_err("empty").field(), "name");
    }

    #[test]
    fn a_qr_bill_follows_the_swiss_layout_and_decodes_under_its_cross() {
        let iban = Iban::parse("CH44 3199 9123 0008 8901 2").expect("valid");
        let creditor = association();
        let reference = QrReference::from_number(42);
        let payload = qr_bill_payload(&QrBill {
            creditor_iban: &iban,
            creditor: &creditor,
            amount_minor: Some(2000),
            currency: "CHF",
            debtor: None,
            reference: BillReference::Qr(reference.clone()),
            message: Some("Comptoir MOL 42"),
        })
        .expect("payload");
        let lines: Vec<&str> = payload.split("\r\n").collect();
        assert_eq!(lines.len(), 31, "{payload}");
        assert_eq!(&lines[..4], ["SPC", "0200", "1", "CH4431999123000889012"]);
        assert_eq!(
            &lines[4..11],
            [
                "S",
                "Monnaie Moléson",
                "Rue de Bourg",
                "12",
                "1003",
                "Lausanne",
                "CH"
            ]
        );
        assert!(lines[11..18].iter().all(|l| l.is_empty()));
        assert_eq!(&lines[18..20], ["20.00", "CHF"]);
        assert!(lines[20..27].iter().all(|l| l.is_empty()));
        assert_eq!(
            &lines[27..],
            ["QRR", reference.as_str(), "Comptoir MOL 42", "EPD"]
        );
        let code = Code {
            payload: payload.clone(),
            swiss_cross: true,
        };
        assert_eq!(decoded(&code), payload);
        assert_eq!(
            svg(&code).expect("svg").matches("<rect").count(),
            5,
            "background and cross"
        );
    }

    #[test]
    fn a_qr_bill_pairs_references_with_their_accounts() {
        let qr_iban = Iban::parse("CH44 3199 9123 0008 8901 2").expect("valid");
        let iban = Iban::parse("CH93 0076 2011 6238 5295 7").expect("valid");
        let fr = Iban::parse("FR76 3000 6000 0112 3456 7890 189").expect("valid");
        let creditor = association();
        let bill = |account, reference, currency| QrBill {
            creditor_iban: account,
            creditor: &creditor,
            amount_minor: None,
            currency,
            debtor: None,
            reference,
            message: None,
        };
        let rf = BillReference::Creditor(CreditorReference::new("MOL1").expect("valid"));
        let qrr = BillReference::Qr(QrReference::from_number(1));
        assert!(qr_bill_payload(&bill(&iban, rf.clone(), "CHF")).is_ok());
        assert!(qr_bill_payload(&bill(&iban, BillReference::None, "EUR")).is_ok());
        assert!(qr_bill_payload(&bill(&qr_iban, qrr.clone(), "CHF")).is_ok());
        let refused = [
            (bill(&qr_iban, rf, "CHF"), "reference"),
            (bill(&iban, qrr.clone(), "CHF"), "reference"),
            (bill(&qr_iban, BillReference::None, "CHF"), "reference"),
            (bill(&qr_iban, qrr.clone(), "GBP"), "currency"),
            (bill(&fr, BillReference::None, "EUR"), "iban"),
        ];
        for (b, field) in refused {
            assert_eq!(qr_bill_payload(&b).expect_err(field).field(), field);
        }
        let nowhere = Address {
            town: String::new(),
            ..association()
        };
        let b = QrBill {
            creditor: &nowhere,
            ..bill(&qr_iban, qrr, "CHF")
        };
        assert_eq!(qr_bill_payload(&b).expect_err("town").field(), "creditor");
    }
}
