//! The registry symbol: the message it makes, and that it is injective.

use super::registry_symbol;

#[test]
fn the_symbol_is_the_message() {
    assert_eq!(
        registry_symbol("RX"),
        "slab_core.two_slabs_are_named.RX.give_one_of_them_a_name_key"
    );
    assert_eq!(
        registry_symbol("uart rx: \"ü\"$"),
        "slab_core.two_slabs_are_named.uart$20rx$3a$20$22$c3$bc$22$24.give_one_of_them_a_name_key"
    );
}

/// Decodes a symbol back to its name, checking that it holds only
/// the characters a version script accepts: a decoder exists, so two
/// names never share a symbol.
fn decode(symbol: &str) -> Vec<u8> {
    let middle = symbol
        .strip_prefix("slab_core.two_slabs_are_named.")
        .and_then(|s| s.strip_suffix(".give_one_of_them_a_name_key"))
        .expect("the fixed text");
    let mut bytes = middle.bytes();
    let mut name = Vec::new();
    while let Some(byte) = bytes.next() {
        assert!(byte.is_ascii_alphanumeric() || b"_.-$".contains(&byte));
        if byte == b'$' {
            let hex: Vec<u8> = bytes.by_ref().take(2).collect();
            let hex = std::str::from_utf8(&hex).unwrap();
            name.push(u8::from_str_radix(hex, 16).unwrap());
        } else {
            name.push(byte);
        }
    }
    name
}

#[test]
fn each_name_decodes_back() {
    let names = [
        "RX",
        "rx",
        "R X",
        "R$20X",
        "R$X",
        "a.b",
        "a-b",
        "a_b",
        "a__b",
        "$",
        "$$",
        "$24",
        "`",
        "\\",
        "\"",
        "\n",
        "é",
        "\u{1F600}",
        "a\0b",
        "x.give_one_of_them_a_name_key",
    ];
    for name in names {
        assert_eq!(decode(&registry_symbol(name)), name.as_bytes(), "{name:?}");
    }
}
