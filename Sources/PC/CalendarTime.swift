/// A proleptic Gregorian date and time of day, with fields that may be out of
/// range (as a guest may write them), converted to and from seconds since
/// 1970-01-01 00:00:00. Out-of-range fields carry into the next larger unit, as
/// C's `mktime` normalizes them: day 31 of February is March 3 (or 2).
struct CalendarTime: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The calendar time `seconds` after 1970-01-01 00:00:00.
    init(secondsSince1970 seconds: Int64) {
        let days = Self.floorDivide(seconds, 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        (year, month, day) = Self.civilDate(daysSince1970: days)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
    }

    /// Seconds since 1970-01-01 00:00:00, with every field normalized.
    var secondsSince1970: Int64 {
        let monthIndex = Int64(month) - 1
        let yearCarry = Self.floorDivide(monthIndex, 12)
        let days = Self.daysSince1970(year: Int64(year) + yearCarry, month: monthIndex - yearCarry * 12 + 1) + Int64(day) - 1
        return days * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
    }

    /// Day of the week, 1 = Sunday … 7 = Saturday (the MC146818's numbering).
    var dayOfWeek: Int {
        let days = Self.floorDivide(secondsSince1970, 86_400)
        // 1970-01-01 was a Thursday (5).
        return Int((days % 7 + 7 + 4) % 7) + 1
    }

    // The days-from-civil conversions count in 400-year eras of 146,097 days, starting each year in March.

    private static func daysSince1970(year: Int64, month: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = floorDivide(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(daysSince1970 days: Int64) -> (Int, Int, Int) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }
}
