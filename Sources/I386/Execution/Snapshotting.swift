/// Something whose whole state can be saved as a value and put back: a
/// device, a clock, a platform. Reverse execution restores a snapshot and
/// runs forward again, so a snapshot must hold everything that decides what
/// the object does next (scheduled events included).
public protocol Snapshotting: AnyObject {
    associatedtype Snapshot
    /// The state now.
    func snapshot() -> Snapshot
    /// Puts back a state `snapshot()` returned, without side effects on anything else
    /// (no interrupt line is driven: the other side is restored from the same moment).
    func restore(_ snapshot: Snapshot)
}
