//! Cyrillic → Latin for e-mail addresses and domains, the way Russian
//! companies spell them (close to ICAO / GOST R 52535.1: ж zh, х kh, ц ts,
//! ч ch, ш sh, щ shch, ю yu, я ya, й y; ь and ъ dropped).

/// The Latin spelling of one lower-case Cyrillic letter; `None` for other characters.
fn letter(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' | 'ы' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// Lower-case Latin transliteration: Cyrillic letters are spelled out, ASCII
/// letters and digits kept, anything else becomes a single `-` (none at the
/// ends). "Котова" → "kotova", "СтройИнвест" → "stroyinvest",
/// "Северная звезда" → "severnaya-zvezda".
pub fn translit(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if let Some(latin) = letter(c) {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push_str(latin);
        } else if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::translit;

    #[test]
    fn names_and_brands() {
        assert_eq!(translit("Котова"), "kotova");
        assert_eq!(translit("Анна"), "anna");
        assert_eq!(translit("СтройИнвест"), "stroyinvest");
        assert_eq!(translit("ТехноСнаб"), "tekhnosnab");
        assert_eq!(translit("Щукин"), "shchukin");
        assert_eq!(translit("Юлия"), "yuliya");
        assert_eq!(translit("Жуков"), "zhukov");
        assert_eq!(translit("Цветков"), "tsvetkov");
        assert_eq!(translit("Чернышёв"), "chernyshev");
        assert_eq!(translit("Ильинична"), "ilinichna");
        assert_eq!(translit("Подъячев"), "podyachev");
        assert_eq!(translit("Северная звезда"), "severnaya-zvezda");
        assert_eq!(translit("«Ромашка»"), "romashka");
        assert_eq!(translit("Ростов-на-Дону"), "rostov-na-donu");
    }
}
