// `format`: each supported format is written as an anchored pattern (see SchemaPattern.swift)
// whose every match is valid for the format, and compiled once per builder into a shared rule.
// Conservative on purpose: every string produced is valid, not every valid string producible.

enum StringFormats {
    /// 0001–9999 (year 0000 is valid RFC 3339 but many checkers, Python's datetime among them, refuse it).
    private static let year = #"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"#
    /// Years divisible by 4 but not by 100, or by 400 (not 0000).
    private static let leapYear = #"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"#
    /// RFC 3339 full-date with the real number of days in each month (Feb 29 only in leap years).
    private static let date =
        #"(?:\#(year)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|\#(leapYear)-02-29)"#
    /// RFC 3339 full-time: seconds 00–59 (no leap second), fraction ≤ 9 digits, `Z` or an offset.
    private static let time = #"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"#
    private static let label = #"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"#
    private static let pchar = #"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"#

    private static let h16 = "[0-9a-fA-F]{1,4}"
    /// RFC 3339 Appendix A durations, components of at most 4 digits.
    private static let durationTime = #"T(?:[0-9]{1,4}H(?:[0-9]{1,4}M)?(?:[0-9]{1,4}S)?|[0-9]{1,4}M(?:[0-9]{1,4}S)?|[0-9]{1,4}S)"#

    static let patterns: [String: String] = [
        "duration": #"^P(?:(?:[0-9]{1,4}Y(?:[0-9]{1,4}M)?(?:[0-9]{1,4}D)?|[0-9]{1,4}M(?:[0-9]{1,4}D)?|[0-9]{1,4}D)(?:\#(durationTime))?|\#(durationTime)|[0-9]{1,4}W)$"#,
        // RFC 4291 §2.2 text forms 1 and 2 (full, and `::`-compressed); no embedded IPv4.
        "ipv6": "^(?:(?:\(h16):){7}\(h16)|(?:\(h16):){1,7}:|(?:\(h16):){1,6}:\(h16)|(?:\(h16):){1,5}(?::\(h16)){1,2}"
            + "|(?:\(h16):){1,4}(?::\(h16)){1,3}|(?:\(h16):){1,3}(?::\(h16)){1,4}|(?:\(h16):){1,2}(?::\(h16)){1,5}"
            + "|\(h16):(?::\(h16)){1,6}|:(?:(?::\(h16)){1,7}|:))$",
        "date": "^\(date)$",
        "time": "^\(time)$",
        "date-time": "^\(date)T\(time)$",
        "uuid": #"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"#,
        // A practical subset of RFC 5321 addresses: dot-atoms of [A-Za-z0-9_%+-] (local part ≤ 63
        // characters) at a domain of 2–4 labels whose last is 2–24 letters.
        "email": #"^[A-Za-z0-9_%+-]{1,15}(?:\.[A-Za-z0-9_%+-]{1,15}){0,3}@(?:\#(label)\.){1,3}[A-Za-z]{2,24}$"#,
        // The last label starts with a letter (an all-numeric top-level label is refused by some checkers).
        "hostname": #"^(?:\#(label)\.){0,2}[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"#,
        "ipv4": #"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$"#,
        // Loosely: scheme://host[:port][/path][?query][#fragment], percent-escapes well formed.
        "uri": #"^[a-z][a-z0-9+.-]{0,15}://\#(label)(?:\.\#(label)){0,2}(?::[0-9]{1,5})?(?:/\#(pchar)*)*(?:\?(?:\#(pchar)|[/?])*)?(?:#(?:\#(pchar)|[/?])*)?$"#,
    ]

    static var supported: [String] { patterns.keys.sorted() }

    /// The content grammar (between the quotes) of `format`, nil if unsupported.
    static func content(_ format: String, into builder: inout GrammarBuilder) -> GrammarExpr? {
        // The patterns above are fixed and within the supported subset (`everyFormatPatternCompiles`
        // compiles each); a pattern that did not compile would be refused as an unknown format,
        // never trap on a request.
        guard let pattern = patterns[format], (try? PatternParser.parse(pattern, maxRepetition: 1000)) != nil else { return nil }
        let rule = builder.sharedRule("format:\(format)") { builder, _ in
            ((try? PatternCompiler.compile(pattern, maxRepetition: 1000, into: &builder)) ?? nil) ?? .choice([])
        }
        return .rule(rule)
    }

    /// The format narrowed to strings of `minLength`...`maxLength` characters (nil: none fits).
    static func content(_ format: String, minLength: Int, maxLength: Int?, into builder: inout GrammarBuilder) -> GrammarExpr? {
        guard let pattern = patterns[format] else { return nil }
        return (try? PatternCompiler.compile(pattern, maxRepetition: 1000, lengths: (minLength, maxLength), into: &builder)) ?? nil
    }

    /// The shortest and longest string of `format`, in characters.
    static func lengthRange(_ format: String) -> (Int, Int?)? {
        guard let pattern = patterns[format] else { return nil }
        guard let parsed = try? PatternParser.parse(pattern, maxRepetition: 1000) else { return nil }
        return PatternCompiler.lengthRange(parsed)
    }
}
