//! The labels of the deployment's moves (`EcritureLib`), in the books' language (the chart's
//! `language`): a French deployment's FEC says « Émission de Lem contre euros (virement) »,
//! not the ledger's English description. Written from the ledger entry's kind, its reference
//! and its transfers; an entry of a kind not listed here keeps its own description.

/// What a move's label is written from.
pub struct Facts<'a> {
    /// The ledger entry's kind (`issue`, `pay`, `post`…).
    pub code: &'a str,
    /// The ledger's own description (English).
    pub description: &'a str,
    /// The entry's reference (`order 2026-0042`, `cycle Semaine 49`, `VIR-0001`).
    pub reference: &'a str,
    /// The name of the local currency the entry moves, if any (`Lem`).
    pub currency: Option<&'a str>,
    /// The commission kept, formatted (`0,04 Lem`), on a reconversion.
    pub commission: Option<String>,
}

/// The label of a move in `language` (`fr`; anything else: the ledger's own words).
pub fn label(language: &str, facts: &Facts) -> String {
    let own = || {
        if facts.description.is_empty() {
            facts.code.to_string()
        } else {
            facts.description.to_string()
        }
    };
    if language != "fr" {
        return own();
    }
    let currency = facts.currency.unwrap_or("monnaie locale");
    let order = facts.reference.strip_prefix("order ");
    let cycle = facts.reference.strip_prefix("cycle ");
    match facts.code {
        "issue" => {
            let method = facts
                .description
                .rsplit_once('(')
                .and_then(|(_, m)| m.strip_suffix(')'))
                .map(|m| match m {
                    "bank_transfer" => "virement",
                    "card" => "carte",
                    "cash" => "espèces",
                    other => other,
                });
            match method {
                Some(method) => format!("Émission de {currency} contre euros ({method})"),
                None => format!("Émission de {currency} contre euros"),
            }
        }
        "pay" => format!("Paiement en {currency}"),
        "post" => match order {
            Some(n) => format!("Paiement en {currency} de la commande {n}"),
            None => format!("Encaissement en {currency}"),
        },
        "reconvert" => match &facts.commission {
            Some(fee) => format!("Reconversion de {currency} en euros, commission {fee}"),
            None => format!("Reconversion de {currency} en euros"),
        },
        "reconversion_paid" => format!("Versement en euros d'une reconversion de {currency}"),
        "sale" => match order {
            Some(n) => format!("Part en euros de la commande {n}, due par le client"),
            None => own(),
        },
        "receipt" => match order {
            Some(n) => format!("Part en euros de la commande {n} reçue"),
            None => own(),
        },
        "settle" => match cycle {
            Some(c) => format!("Paiement du producteur, cycle {c}"),
            None => own(),
        },
        "vat" => match cycle {
            Some(c) => format!("TVA sur les frais du hub, cycle {c}"),
            None => own(),
        },
        "reverse" => match facts.description.strip_prefix("reversal of ") {
            Some(rest) => format!("Contre-passation de {rest}"),
            None => own(),
        },
        _ => own(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(code: &'a str, description: &'a str, reference: &'a str) -> Facts<'a> {
        Facts {
            code,
            description,
            reference,
            currency: Some("Lem"),
            commission: None,
        }
    }

    #[test]
    fn french_books_speak_french() {
        let table = [
            (
                facts("issue", "LEM issued against euros (bank_transfer)", "VIR-1"),
                "Émission de Lem contre euros (virement)",
            ),
            (
                facts("issue", "LEM issued against euros (cash)", ""),
                "Émission de Lem contre euros (espèces)",
            ),
            (facts("pay", "payment in LEM", ""), "Paiement en Lem"),
            (
                facts("post", "hold x posted", "order 2026-0001"),
                "Paiement en Lem de la commande 2026-0001",
            ),
            (
                facts("receipt", "euro part…", "order 7"),
                "Part en euros de la commande 7 reçue",
            ),
            (
                facts("settle", "producer paid…", "cycle Semaine 49"),
                "Paiement du producteur, cycle Semaine 49",
            ),
            (facts("something_new", "as it was", ""), "as it was"),
        ];
        for (f, expected) in table {
            assert_eq!(label("fr", &f), expected);
        }
        let mut reconversion = facts("reconvert", "LEM reconverted…", "R-1");
        reconversion.commission = Some("0,04 Lem".into());
        assert_eq!(
            label("fr", &reconversion),
            "Reconversion de Lem en euros, commission 0,04 Lem"
        );
        assert_eq!(
            label("en", &facts("pay", "payment in LEM", "")),
            "payment in LEM"
        );
    }
}
