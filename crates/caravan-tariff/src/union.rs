//! Customs unions whose members apply one common tariff: the Eurasian Economic Union.

use caravan_types::CountryCode;

/// The member states of the Eurasian Economic Union (Treaty on the Eurasian Economic Union of
/// 29 May 2014, Armenia and Kyrgyzstan acceding in 2015), who apply the EAEU Common Customs Tariff.
pub const EAEU_MEMBERS: [&str; 5] = ["AM", "BY", "KZ", "KG", "RU"];

/// Whether `country` applies the EAEU Common Customs Tariff.
pub fn is_eaeu_member(country: &CountryCode) -> bool {
    EAEU_MEMBERS.contains(&country.as_str())
}

/// The schedule (jurisdiction) a country's customs apply, given the jurisdictions the tariff has:
/// the country's own when there is one (KZ and KG: the common tariff in their currency with
/// their national taxes), else `EAEU` for another member of the union, else none.
pub fn jurisdiction_of(country: &CountryCode, has: impl Fn(&str) -> bool) -> Option<String> {
    if has(country.as_str()) {
        Some(country.as_str().to_owned())
    } else if is_eaeu_member(country) && has("EAEU") {
        Some("EAEU".to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(code: &str) -> CountryCode {
        CountryCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"))
    }

    #[test]
    fn members_use_their_own_schedule_or_the_unions() {
        let has = |j: &str| matches!(j, "KZ" | "KG" | "EAEU" | "CN");
        assert_eq!(jurisdiction_of(&cc("KZ"), has).as_deref(), Some("KZ"));
        assert_eq!(jurisdiction_of(&cc("RU"), has).as_deref(), Some("EAEU"));
        assert_eq!(jurisdiction_of(&cc("CN"), has).as_deref(), Some("CN"));
        assert_eq!(jurisdiction_of(&cc("DE"), has), None);
        assert_eq!(jurisdiction_of(&cc("AM"), |j| j == "KZ"), None);
        assert!(is_eaeu_member(&cc("BY")) && !is_eaeu_member(&cc("UZ")));
    }
}
