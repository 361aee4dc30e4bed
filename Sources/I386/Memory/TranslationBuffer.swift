#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The TLB: for each privilege class (supervisor, user) a read table and a
/// write table mapping linear page numbers to the host storage of the frame
/// behind them, so an access that hits costs one load.
///
/// An entry exists only while the access it stands for needs no check: a
/// write entry only for a page already marked dirty, in a frame with no
/// decoded code, while no observer logs writes. Entries are forgotten by
/// the architectural flushes (CR3 writes keep global pages; invlpg; paging
/// mode changes) and whenever kstep's own reasons require (a frame becoming
/// code, logging starting).
final class TranslationBuffer {
    static let pageCount = 1 << 20

    /// Supervisor read, supervisor write, user read, user write.
    private let tables: [UnsafeMutablePointer<UnsafeMutableRawPointer?>]
    /// Pages filled in each table since its last full flush, with whether the
    /// translation came from a global page (kept by CR3 writes).
    private var filled: [[(page: Int32, isGlobal: Bool)]] = [[], [], [], []]

    /// The 4 MB regions (linear page number >> 10) holding entries filled from 4 MB pages.
    private var largeRegions = Set<Int>()
    /// Set when too many regions were noted to keep: every invlpg then forgets a whole region.
    private var largeRegionsOverflowed = false

    /// While false, reads (or writes) always take the slow path: an observer logs them, or a watch is armed.
    var fillsReads = true
    var fillsWrites = true

    init() {
        tables = (0..<4).map { _ in
            // calloc: zero (no translation) without touching the 8 MB of each table.
            guard let raw = calloc(Self.pageCount, MemoryLayout<UnsafeMutableRawPointer?>.stride) else {
                fatalError("kstep: cannot allocate the TLB")
            }
            return raw.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: Self.pageCount)
        }
    }

    deinit {
        for table in tables { free(table) }
    }

    func readTable(user: Bool) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> { tables[user ? 2 : 0] }
    func writeTable(user: Bool) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> { tables[user ? 3 : 1] }

    /// Records a translation of linear `page` to the frame at `host`.
    func fill(page: Int, host: UnsafeMutableRawPointer, user: Bool, write: Bool, isGlobal: Bool) {
        if write ? !fillsWrites : !fillsReads { return }
        let index = (user ? 2 : 0) + (write ? 1 : 0)
        tables[index][page] = host
        filled[index].append((Int32(page), isGlobal))
        if filled[index].count > 1 << 16 { flush(table: index, includingGlobal: true) }
    }

    /// Forgets every translation (`includingGlobal`), or every one not from a global page.
    func flush(includingGlobal: Bool) {
        for index in 0..<4 { flush(table: index, includingGlobal: includingGlobal) }
        if includingGlobal {
            largeRegions.removeAll()
            largeRegionsOverflowed = false
        }
    }

    /// Records that `page`'s translation comes from a 4 MB page.
    func noteLargePage(_ page: Int) {
        if largeRegions.count < 1024 {
            largeRegions.insert(page >> 10)
        } else if !largeRegions.contains(page >> 10) {
            largeRegionsOverflowed = true
        }
    }

    private func flush(table index: Int, includingGlobal: Bool) {
        let table = tables[index]
        var kept: [(page: Int32, isGlobal: Bool)] = []
        for entry in filled[index] {
            if entry.isGlobal && !includingGlobal {
                if table[Int(entry.page)] != nil { kept.append(entry) }
            } else {
                table[Int(entry.page)] = nil
            }
        }
        filled[index] = kept
    }

    /// Forgets the translations of one linear page (invlpg), or of its whole
    /// 4 MB region when translations there came from a 4 MB page.
    func flush(page: Int) {
        guard largeRegionsOverflowed || largeRegions.contains(page >> 10) else {
            for table in tables { table[page] = nil }
            return
        }
        let first = page & ~0x3FF
        for table in tables { (table + first).update(repeating: nil, count: 1024) }
    }

    /// Forgets the write translations to a frame (it now holds decoded code, whose writes must be seen).
    func forgetWrites(toHost host: UnsafeMutableRawPointer) {
        for index in [1, 3] {
            let table = tables[index]
            for entry in filled[index] where table[Int(entry.page)] == host { table[Int(entry.page)] = nil }
        }
    }

    /// Forgets all write translations, or all read translations.
    func flushWrites() {
        flush(table: 1, includingGlobal: true)
        flush(table: 3, includingGlobal: true)
    }

    func flushReads() {
        flush(table: 0, includingGlobal: true)
        flush(table: 2, includingGlobal: true)
    }
}
