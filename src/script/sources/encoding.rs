//! Character sets of text files: Qlik's `utf8`, `unicode`, `ansi`, `oem`, `mac` and `codepage is n`.

use super::SourceError;
use encoding_rs::Encoding;

/// A character set a file is decoded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// No codepage given: a byte-order mark decides; else UTF-8 when the bytes are valid UTF-8, else
    /// Windows-1252.
    Auto,
    /// An `encoding_rs` encoding (a BOM, when present, still wins, as in Qlik).
    Enc(&'static Encoding),
    /// ISO-8859-1 (`codepage is 28591`): every byte is the code point of the same number.
    Latin1,
}

/// Interpret a codepage item as the parser keeps it: `utf8`, `unicode`, `ansi`, `oem`, `mac`, or
/// `codepage is 1252`.
pub fn parse_codepage(raw: &str) -> Result<Charset, SourceError> {
    let t = raw.trim().to_ascii_lowercase();
    let unsupported = || SourceError::Unsupported(format!("character set `{raw}`"));
    match t.as_str() {
        "utf8" | "utf-8" => return Ok(Charset::Enc(encoding_rs::UTF_8)),
        "unicode" => return Ok(Charset::Enc(encoding_rs::UTF_16LE)),
        "ansi" => return Ok(Charset::Enc(encoding_rs::WINDOWS_1252)),
        "mac" => return Ok(Charset::Enc(encoding_rs::MACINTOSH)),
        // OEM is the DOS codepage (437/850), which encoding_rs does not decode.
        "oem" => return Err(unsupported()),
        _ => {}
    }
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let n: u32 = digits.parse().map_err(|_| unsupported())?;
    codepage(n).ok_or_else(unsupported)
}

/// Windows codepage numbers Qlik accepts in `codepage is n`.
pub fn codepage(n: u32) -> Option<Charset> {
    use encoding_rs as e;
    let enc: &'static Encoding = match n {
        28591 => return Some(Charset::Latin1),
        65001 => e::UTF_8,
        1200 => e::UTF_16LE,
        1201 => e::UTF_16BE,
        1250 => e::WINDOWS_1250,
        1251 => e::WINDOWS_1251,
        1252 => e::WINDOWS_1252,
        1253 => e::WINDOWS_1253,
        1254 => e::WINDOWS_1254,
        1255 => e::WINDOWS_1255,
        1256 => e::WINDOWS_1256,
        1257 => e::WINDOWS_1257,
        1258 => e::WINDOWS_1258,
        874 => e::WINDOWS_874,
        866 => e::IBM866,
        932 => e::SHIFT_JIS,
        936 => e::GBK,
        949 => e::EUC_KR,
        950 => e::BIG5,
        10000 => e::MACINTOSH,
        20866 => e::KOI8_R,
        21866 => e::KOI8_U,
        28592 => e::ISO_8859_2,
        28593 => e::ISO_8859_3,
        28594 => e::ISO_8859_4,
        28595 => e::ISO_8859_5,
        28596 => e::ISO_8859_6,
        28597 => e::ISO_8859_7,
        28598 => e::ISO_8859_8,
        28603 => e::ISO_8859_13,
        28605 => e::ISO_8859_15,
        54936 => e::GB18030,
        _ => return None,
    };
    Some(Charset::Enc(enc))
}

/// Decode file bytes to text. A BOM is removed (and, when it names another Unicode encoding, it wins).
pub fn decode(bytes: &[u8], cs: Charset) -> String {
    match cs {
        Charset::Latin1 => {
            if let Some((enc, n)) = Encoding::for_bom(bytes) {
                return enc
                    .decode_without_bom_handling(bytes.get(n..).unwrap_or(&[]))
                    .0
                    .into_owned();
            }
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        Charset::Enc(enc) => enc.decode(bytes).0.into_owned(),
        Charset::Auto => {
            if Encoding::for_bom(bytes).is_some() {
                return encoding_rs::UTF_8.decode(bytes).0.into_owned();
            }
            match std::str::from_utf8(bytes) {
                Ok(s) => s.to_string(),
                Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(decode(b"\xEF\xBB\xBFa\xC3\xA9", Charset::Auto), "aé");
        assert_eq!(decode(b"a\xE9", Charset::Auto), "aé");
        assert_eq!(
            decode(b"\x80", parse_codepage("ansi").unwrap_or(Charset::Auto)),
            "€"
        );
        assert_eq!(
            decode(
                b"\x80",
                parse_codepage("codepage is 28591").unwrap_or(Charset::Auto)
            ),
            "\u{80}"
        );
        assert_eq!(
            decode(
                b"\xFF\xFEa\x00",
                parse_codepage("unicode").unwrap_or(Charset::Auto)
            ),
            "a"
        );
        assert_eq!(
            decode(
                b"a\x00\xE9\x00",
                parse_codepage("unicode").unwrap_or(Charset::Auto)
            ),
            "aé"
        );
        assert!(parse_codepage("oem").is_err());
        assert!(parse_codepage("codepage is 99999").is_err());
    }
}
