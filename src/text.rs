//! Text as people search it.

/// Folds text for sorting and searching: accents removed (deunicode), lowercase, runs of
/// other characters as one space. `Pêches plates` → `peches plates`.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_ascii_lowercase();
    ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
