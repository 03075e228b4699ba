use super::letter_code;

#[test]
fn letter_codes_run_a_to_z_then_aa() {
    let cases = [
        (0, "A"),
        (1, "B"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
    ];
    for (n, code) in cases {
        assert_eq!(letter_code(n), code, "code {n}");
    }
}
