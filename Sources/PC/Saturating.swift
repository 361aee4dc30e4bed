extension UInt64 {
    /// `self + other`, or `UInt64.max` when that does not fit: deadlines far in the
    /// future must not wrap around into the past.
    func saturatingAdd(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    /// `self × other`, or `UInt64.max` when that does not fit.
    func saturatingMultiply(_ other: UInt64) -> UInt64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }
}
