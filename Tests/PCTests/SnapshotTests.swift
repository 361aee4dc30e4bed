import I386
import PC
import Testing

/// Device snapshots: complete (every stored property of a device that is
/// state, not wiring, is in its snapshot — a field added later without it
/// fails here), and exact (restoring and running again does the same).
@Suite struct DeviceSnapshotTests {
    /// Stored properties that wire a device to others or configure it for life: not state.
    private static let wiring: Set<String> = [
        "clock", "ports", "base", "irq", "irq0", "irq1", "irq8", "output", "outputChanged", "resetRequested",
        "nonMaskableInterrupt", "levelTriggeredEOI", "localAPIC", "externalInterruptController",
        "endOfInterruptWritten",  // the tracer's eoi observer
    ]

    private func labels(_ value: Any) -> Set<String> {
        Set(Mirror(reflecting: value).children.compactMap(\.label).map { $0.hasPrefix("_") ? String($0.dropFirst()) : $0 })
    }

    private func expectComplete<Device: Snapshotting>(_ device: Device, sourceLocation: SourceLocation = #_sourceLocation) {
        let state = labels(device).subtracting(Self.wiring)
        let saved = labels(device.snapshot())
        #expect(state.subtracting(saved).isEmpty, "\(Device.self) fields missing from its snapshot: \(state.subtracting(saved).sorted())",
                sourceLocation: sourceLocation)
    }

    @Test func everyDeviceSnapshotHoldsAllItsState() {
        let platform = PCPlatform(memorySize: 4 << 20)
        expectComplete(platform.interruptController)
        expectComplete(platform.intervalTimer)
        expectComplete(platform.realTimeClock)
        expectComplete(platform.serialPort)
        expectComplete(platform.localAPIC)
        expectComplete(platform.ioAPIC)
        expectComplete(platform.display)
        expectComplete(platform.keyboard)
        expectComplete(platform.console)
        expectComplete(platform.clock)
    }

    @Test func clockRestoreRunsTheSameActionsAgain() {
        let clock = VirtualClock()
        var fired: [String] = []
        clock.schedule(at: 100) { fired.append("a") }
        let token = clock.schedule(at: 200) { fired.append("b") }
        clock.schedule(at: 300) { fired.append("c") }
        clock.advance(to: 50)
        let saved = clock.snapshot()
        clock.cancel(token)
        clock.advance(to: 1000)
        #expect(fired == ["a", "c"])
        clock.restore(saved)
        #expect(clock.now == 50)
        #expect(clock.nextDeadline == 100)
        fired = []
        clock.advance(to: 1000)
        #expect(fired == ["a", "b", "c"])
    }

    @Test func timerAndControllerRestoreGiveTheSameInterrupts() {
        let platform = PCPlatform(memorySize: 4 << 20)
        var edges: [(UInt64, Bool)] = []
        platform.interruptController.outputChanged = { edges.append((platform.clock.now, $0)) }
        let pic = platform.interruptController
        for (port, value) in [(UInt16(0x20), UInt8(0x11)), (0x21, 0x20), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE)] {
            pic.writeByte(value, at: port)
        }
        platform.intervalTimer.writeByte(0x34, at: 0x43)
        platform.intervalTimer.writeByte(100, at: 0x40)
        platform.intervalTimer.writeByte(0, at: 0x40)
        platform.advance(to: 10_000)
        let saved = platform.snapshot()
        var vectors: [UInt8?] = []
        func acknowledgeSome() {
            for step in 1...20 {
                platform.advance(to: 10_000 + UInt64(step) * 30_000)
                if pic.isOutputAsserted {
                    vectors.append(pic.acknowledgeInterrupt())
                    pic.writeByte(0x20, at: 0x20)
                }
            }
        }
        acknowledgeSome()
        let first = (vectors, edges.filter { $0.0 > 10_000 }.map(\.0), platform.intervalTimer.readByte(at: 0x40))
        platform.restore(saved)
        vectors = []
        edges = []
        acknowledgeSome()
        let second = (vectors, edges.map(\.0), platform.intervalTimer.readByte(at: 0x40))
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(first.2 == second.2)
        #expect(!second.0.isEmpty)
    }
}
