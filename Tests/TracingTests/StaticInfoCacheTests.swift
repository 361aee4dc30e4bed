import Testing
@testable import Tracing

/// Queued JSONL records point into the cache's arena: forgetting entries
/// must leave their bytes in place until the tracer reclaims them.
struct StaticInfoCacheTests {
    private func text(_ pointer: UnsafePointer<UInt8>, _ count: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    @Test func forgottenEntriesKeepTheirBytesUntilReclaimed() {
        let cache = StaticInfoCache()
        let first = cache.entry(for: 0x1000) { (Array("first".utf8), Array("t".utf8), []) }
        let kept = first.json
        cache.removeAll(reclaiming: false)
        #expect(cache.lookup(0x1000) == nil)
        // 5,000 entries of 40 + 8 bytes: several 64 KB chunks after the first.
        for index in 0..<5_000 {
            _ = cache.entry(for: UInt32(index) * 16) { ([UInt8](repeating: 0x41, count: 40), [UInt8](repeating: 0x42, count: 8), index == 7 ? .halt : []) }
        }
        #expect(text(kept, 5) == "first")
        #expect(cache.arenaBytes == 6 + 5_000 * 48)
        let seventh = cache.lookup(7 * 16)
        #expect(seventh?.isHalt == true)
        #expect(seventh.map { text($0.text, $0.textLength) } == "BBBBBBBB")
        cache.removeAll(reclaiming: true)
        #expect(cache.arenaBytes == 0)
        #expect(cache.lookup(7 * 16) == nil)
        let again = cache.entry(for: 0x1000) { (Array("again".utf8), [], []) }
        #expect(text(again.json, again.jsonLength) == "again")
    }
}
